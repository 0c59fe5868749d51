import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, psql, sandboxConfig } from '../../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName } from '../../test-support/run-cli.ts';

async function storedTokens(schema: string): Promise<number> {
  return Number((await psql(`SELECT count(*) FROM "${schema}".users WHERE "matrixAccessToken" IS NOT NULL`)).trim());
}

describe('matrix-reset creds', () => {
  it('inventory --json counts the rows of the tenant and prints no token', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('cli'), 8);
    const { path } = await sandboxConfig(schema);
    const run = await runCli(['creds', 'inventory', '--config', path, '--json']);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as { schemas: { schema: string; rows: number; withCredentials: number }[] };
    expect(body.schemas.find((s) => s.schema === schema)).toMatchObject({ rows: 8, withCredentials: 8, complete: 6, partial: 2 }); // every row has preferences.matrix
    expect(leakedSecrets(run, tokens)).toEqual([]);
  });

  it('clear without a terminal and without --yes refuses (exit 2) and changes nothing', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('cli'), 8);
    const { path } = await sandboxConfig(schema);
    const run = await runCli(['creds', 'clear', '--config', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[confirmation_required]:');
    expect(run.stderr).toContain('--yes');
    expect(await storedTokens(schema)).toBe(6);
  });

  it('clear --dry-run changes nothing, even without --yes', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('cli'), 8);
    const { path } = await sandboxConfig(schema);
    const run = await runCli(['creds', 'clear', '--config', path, '--dry-run', '--json']);
    expect(run.code).toBe(0);
    expect(await storedTokens(schema)).toBe(6);
  });

  it('clear --yes then restore --yes puts every token back, and no token is printed', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('cli'), 8);
    const { path } = await sandboxConfig(schema);
    const runId = uniqueName('run');
    const clear = await runCli(['creds', 'clear', '--config', path, '--run-id', runId, '--yes', '--json']);
    expect(clear.code).toBe(0);
    expect(await storedTokens(schema)).toBe(0);
    const restore = await runCli(['creds', 'restore', '--config', path, '--run-id', runId], { env: { MATRIX_RESET_YES: '1' } });
    expect(restore.code).toBe(0);
    expect(await storedTokens(schema)).toBe(6);
    expect(leakedSecrets(clear, tokens)).toEqual([]);
    expect(leakedSecrets(restore, tokens)).toEqual([]);
  });
});

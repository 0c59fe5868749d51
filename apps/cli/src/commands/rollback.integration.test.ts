import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, psql, sandboxConfig } from '../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName } from '../test-support/run-cli.ts';

/** The tenant's credential columns, row by row, as text. */
function credentials(schema: string): Promise<string> {
  return psql(`SELECT id, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences FROM "${schema}".users ORDER BY id`);
}

describe('matrix-reset rollback', () => {
  it('rolls an applied repair back with --yes after a --dry-run that changes nothing; a second rollback changes nothing, status shows it and resume refuses it', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('rbk'), 6);
    const { path } = await sandboxConfig(schema);
    const planFile = join(dirname(path), 'sandbox.plan.json');
    const env = { MATRIX_RESET_CONFIG: path };
    const before = await credentials(schema);

    expect((await runCli(['plan', '--mode', 'repair', '--out', planFile], { env })).code).toBe(0);
    const applied = await runCli(['apply', planFile, '--yes', '--json'], { env });
    expect(applied.code).toBe(0);
    const runId = (JSON.parse(applied.stdout) as { run: { id: string } }).run.id;
    const afterApply = await credentials(schema);
    expect(afterApply).not.toBe(before);

    const dryRun = await runCli(['rollback', runId, '--dry-run'], { env });
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('dry run, nothing changed');
    expect(dryRun.stdout).toMatch(/03-clear-missing-users\s+finished\s+would-undo/);
    expect(await credentials(schema)).toBe(afterApply);

    const refused = await runCli(['rollback', runId], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('confirmation');
    expect(await credentials(schema)).toBe(afterApply);

    const rolledBack = await runCli(['rollback', runId, '--yes', '--json'], { env });
    expect(rolledBack.stderr).not.toContain('error[');
    expect(rolledBack.code).toBe(0);
    const result = JSON.parse(rolledBack.stdout) as { state: string; steps: { kind: string; outcome: string }[] };
    expect(result.state).toBe('rolled-back');
    expect(result.steps.find((s) => s.kind === 'clear-missing-users')?.outcome).toBe('undone');
    expect(await credentials(schema)).toBe(before);

    const again = await runCli(['rollback', runId, '--yes'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already, earlier: nothing changed now');
    expect(await credentials(schema)).toBe(before);

    const status = await runCli(['status', '--run', runId], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Rollback: rolled-back');
    const resumed = await runCli(['resume', runId], { env });
    expect(resumed.code).not.toBe(0);
    expect(resumed.stderr).toContain('error[rolled_back]');
    expect(await credentials(schema)).toBe(before);

    const secret = (await readFile(process.env.SYNAPSE_SHARED_SECRET_FILE ?? '', 'utf8')).trim();
    for (const run of [applied, dryRun, refused, rolledBack, again, status, resumed]) expect(leakedSecrets(run, [...tokens, secret])).toEqual([]);
  });

  it('says there is no such run for an unknown run id', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('rbk'), 2);
    const { path } = await sandboxConfig(schema);
    const unknown = await runCli(['rollback', 'r20200101t000000_0000', '--yes'], { env: { MATRIX_RESET_CONFIG: path } });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No run r20200101t000000_0000');
  });
});

import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, sandboxConfig } from '../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName } from '../test-support/run-cli.ts';

describe('matrix-reset doctor', () => {
  it('--json against an OpenMeet database prints JSON only on stdout, with the schema, and no token', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('cli'), 12);
    const { path } = await sandboxConfig(schema);
    const run = await runCli(['doctor', '--config', path, '--json', '--sample', '3'], { cwd: dirname(path) });
    expect(run.stderr).not.toContain('error[');
    // The stored tokens are not Synapse's: that is drift, exit 3.
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as { environment: string; recommendation: { action: string }; schemas: { schema: string }[] };
    expect(report.environment).toBe('sandbox');
    expect(['repair', 'full-reset']).toContain(report.recommendation.action);
    expect(report.schemas.map((s) => s.schema)).toContain(schema);
    const secret = (await readFile(process.env.SYNAPSE_SHARED_SECRET_FILE ?? '', 'utf8')).trim();
    expect(leakedSecrets(run, [...tokens, secret])).toEqual([]);
  });

  it('prints a table per schema and a recommendation without --json', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('cli'), 8);
    const { path } = await sandboxConfig(schema);
    const run = await runCli(['doctor', '--sample', '2'], { env: { MATRIX_RESET_CONFIG: path } });
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^SCHEMA\s+EXAMINED\s+VALID/m);
    expect(run.stdout).toContain(schema);
    expect(run.stdout).toContain('Recommendation:');
    expect(leakedSecrets(run, tokens)).toEqual([]);
  });
});

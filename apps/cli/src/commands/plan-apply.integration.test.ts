import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, sandboxConfig } from '../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName } from '../test-support/run-cli.ts';

describe('matrix-reset plan, apply, status and resume', () => {
  it('plans a repair, applies it with --yes, and status and resume show the finished run', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('pln'), 6);
    const { path } = await sandboxConfig(schema);
    const planFile = join(dirname(path), 'sandbox.plan.json');
    const env = { MATRIX_RESET_CONFIG: path };

    const plan = await runCli(['plan', '--mode', 'repair', '--out', planFile], { env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('repair');
    expect(plan.stdout).toContain('03-clear-missing-users');

    const refused = await runCli(['apply', planFile], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('confirmation');

    const applied = await runCli(['apply', planFile, '--yes', '--json'], { env });
    expect(applied.stderr).not.toContain('error[');
    expect(applied.code).toBe(0);
    const result = JSON.parse(applied.stdout) as { run: { id: string; state: string }; steps: { state: string }[] };
    expect(result.run.state).toBe('finished');
    expect(result.steps.every((s) => s.state === 'finished')).toBe(true);

    const status = await runCli(['status'], { env });
    expect(status.stdout).toContain(`Run ${result.run.id}`);
    expect(status.stdout).toContain('finished');

    const resumed = await runCli(['resume', result.run.id, '--json'], { env });
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as { run: { state: string } }).run.state).toBe('finished');

    const secret = (await readFile(process.env.SYNAPSE_SHARED_SECRET_FILE ?? '', 'utf8')).trim();
    for (const run of [plan, applied, status, resumed]) expect(leakedSecrets(run, [...tokens, secret])).toEqual([]);
    expect(await readFile(planFile, 'utf8')).not.toContain(tokens[0]!);
  });

  it('plans the clear of rows naming deactivated users only with --clear-deactivated', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('pld'), 2);
    const { path } = await sandboxConfig(schema);
    const env = { MATRIX_RESET_CONFIG: path };
    const planFile = join(dirname(path), 'deactivated.plan.json');

    const kinds = async (extra: string[]) => {
      const run = await runCli(['plan', '--mode', 'repair', '--out', planFile, '--json', ...extra], { env });
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { plan: { steps: { kind: string }[] } }).plan.steps.map((s) => s.kind);
    };

    expect(await kinds([])).not.toContain('clear-deactivated-users');
    expect(await kinds(['--clear-deactivated'])).toContain('clear-deactivated-users');
  });
});

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, psql, sandboxConfig } from '../test-support/openmeet-database.ts';
import { runCliOnTty } from '../test-support/run-cli-tty.ts';
import { leakedSecrets, runCli, uniqueName, type CliRun } from '../test-support/run-cli.ts';

/** A protected environment of its own (a name no other test locks), one tenant, and a repair plan of it. */
async function protectedSandbox(rows: number) {
  const name = uniqueName('prot');
  const { schema, tokens } = await createOpenmeetTenant(uniqueName('cnf'), rows);
  const { path } = await sandboxConfig(schema, { name, protected: true });
  const planFile = join(dirname(path), 'protected.plan.json');
  const env = { MATRIX_RESET_CONFIG: path };
  const plan = await runCli(['plan', '--mode', 'repair', '--out', planFile], { env });
  expect(plan.code, plan.stderr).toBe(0);
  const secret = (await readFile(process.env.SYNAPSE_SHARED_SECRET_FILE ?? '', 'utf8')).trim();
  const adminToken = /^MATRIX_ADMIN_ACCESS_TOKEN=(.*)$/m.exec(await readFile(join(dirname(path), '.env'), 'utf8'))?.[1] ?? '';
  return {
    name,
    planFile,
    env,
    secrets: [...tokens, secret, adminToken],
    /** The tenant's rows and the environment's runs: what "nothing changed" compares. */
    state: async () => ({
      rows: (await psql(`SELECT md5(string_agg(concat_ws('|', id, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences::text), ',' ORDER BY id)) FROM "${schema}".users`)).trim(),
      runs: (await psql(`SELECT to_regclass('matrix_reset.run') IS NOT NULL`)).trim() === 't' ? Number((await psql(`SELECT count(*) FROM matrix_reset.run WHERE environment = '${name}'`)).trim()) : 0,
    }),
  };
}

function expectNoLeak(runs: readonly (CliRun | { output: string })[], secrets: readonly string[]) {
  for (const run of runs) {
    const asCli = 'output' in run ? { code: 0, stdout: run.output, stderr: '' } : run;
    expect(leakedSecrets(asCli, secrets)).toEqual([]);
  }
}

describe('confirming changes to a protected environment', () => {
  it('on a terminal, apply asks for the environment name even with --yes: a wrong name changes nothing, the right one applies', async () => {
    const sandbox = await protectedSandbox(6);
    const before = await sandbox.state();

    const wrong = await runCliOnTty(['apply', sandbox.planFile, '--yes'], { env: sandbox.env, answer: 'prod' });

    expect(wrong.typed).toBe(true);
    expect(wrong.output).toContain(`Type the environment name (${sandbox.name}) to continue:`);
    expect(wrong.output).toContain(`About to apply the repair of ${sandbox.name}: 4 steps`);
    expect(wrong.output).toContain('--yes does not confirm it');
    expect(wrong.output).toContain('error[confirmation_required]: Confirmation did not match: typed "prod"');
    expect(wrong.code).toBe(2);
    expect(await sandbox.state()).toEqual(before);

    const right = await runCliOnTty(['apply', sandbox.planFile], { env: sandbox.env, answer: sandbox.name });

    expect(right.typed).toBe(true);
    expect(right.output).not.toContain('error[');
    expect(right.code).toBe(0);
    expect(right.output).toMatch(/Run r\S+ .*finished/);
    const after = await sandbox.state();
    expect(after.runs).toBe(1);
    expect(after.rows).not.toBe(before.rows);
    expectNoLeak([wrong, right], sandbox.secrets);
  });

  it('without a terminal, --yes alone is refused (exit 2, naming the flag that confirms), a wrong --confirm-environment too; the right name applies', async () => {
    const sandbox = await protectedSandbox(6);
    const before = await sandbox.state();

    const yesOnly = await runCli(['apply', sandbox.planFile, '--yes'], { env: sandbox.env });
    const yesByEnv = await runCli(['apply', sandbox.planFile], { env: { ...sandbox.env, MATRIX_RESET_YES: '1' } });
    const wrongName = await runCli(['apply', sandbox.planFile, '--yes', '--confirm-environment', 'sandbox'], { env: sandbox.env });

    for (const refused of [yesOnly, yesByEnv]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`error[confirmation_required]: Refusing to apply the repair of ${sandbox.name}`);
      expect(refused.stderr).toContain(`is a protected environment, and without a terminal only its name confirms it (--yes is not enough)`);
      expect(refused.stderr).toContain(`--confirm-environment ${sandbox.name} (or MATRIX_RESET_CONFIRM_ENVIRONMENT=${sandbox.name})`);
    }
    expect(wrongName.code).toBe(2);
    expect(wrongName.stderr).toContain(`error[confirmation_required]: --confirm-environment names "sandbox", but this is environment "${sandbox.name}"; nothing was changed`);
    expect(await sandbox.state()).toEqual(before);

    const applied = await runCli(['apply', sandbox.planFile, '--json'], { env: { ...sandbox.env, MATRIX_RESET_CONFIRM_ENVIRONMENT: sandbox.name } });

    expect(applied.stderr).not.toContain('error[');
    expect(applied.code).toBe(0);
    const { run } = JSON.parse(applied.stdout) as { run: { id: string; state: string } };
    expect(run.state).toBe('finished');

    // The same rule for rollback and creds clear.
    const rollbackYes = await runCli(['rollback', run.id, '--yes'], { env: sandbox.env });
    const clearYes = await runCli(['creds', 'clear', '--yes'], { env: sandbox.env });
    const afterApply = await sandbox.state();
    for (const refused of [rollbackYes, clearYes]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('(--yes is not enough)');
      expect(refused.stderr).toContain(`--confirm-environment ${sandbox.name}`);
    }
    const rolledBack = await runCli(['rollback', run.id, '--confirm-environment', sandbox.name, '--json'], { env: sandbox.env });
    expect(rolledBack.stderr).not.toContain('error[');
    expect(rolledBack.code).toBe(0);
    expect((JSON.parse(rolledBack.stdout) as { state: string }).state).toBe('rolled-back');
    expect((await sandbox.state()).rows).toBe(before.rows);
    expect(afterApply.rows).not.toBe(before.rows);
    expectNoLeak([yesOnly, yesByEnv, wrongName, applied, rollbackYes, clearYes, rolledBack], sandbox.secrets);
  });

  it('an unprotected environment still applies with --yes alone', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('unp'), 4);
    const { path } = await sandboxConfig(schema, { name: uniqueName('open') });
    const planFile = join(dirname(path), 'open.plan.json');
    const env = { MATRIX_RESET_CONFIG: path };
    expect((await runCli(['plan', '--mode', 'repair', '--out', planFile], { env })).code).toBe(0);
    const applied = await runCli(['apply', planFile, '--yes'], { env });
    expect(applied.stderr).not.toContain('error[');
    expect(applied.code).toBe(0);
  });
});

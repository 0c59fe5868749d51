import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, sandboxConfig } from '../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName } from '../test-support/run-cli.ts';

/** The secrets a run must not print: the admin token `local bootstrap` wrote, and the registration shared secret. */
async function secretsOf(dir: string): Promise<string[]> {
  const dotenv = await readFile(join(dir, '.env'), 'utf8');
  const adminToken = /^MATRIX_ADMIN_ACCESS_TOKEN=(.*)$/m.exec(dotenv)?.[1]?.replace(/^["']|["']$/g, '') ?? '';
  expect(adminToken.length).toBeGreaterThan(10);
  const sharedSecret = (await readFile(process.env.SYNAPSE_SHARED_SECRET_FILE ?? '', 'utf8')).trim();
  return [adminToken, sharedSecret];
}

describe('matrix-reset verify', () => {
  it('--json prints only the JSON report on stdout, every check passed, exit 0, no secret anywhere', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('verify'), 2);
    const { dir, path } = await sandboxConfig(schema);

    const run = await runCli(['verify', '--config', path, '--json'], { cwd: dirname(path) });

    expect(run.stderr).not.toContain('error[');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { environment: string; ok: boolean; checks: { name: string; status: string }[] };
    expect(report.environment).toBe('sandbox');
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => `${check.name}:${check.status}`)).toEqual([
      'admin_token:passed',
      'provision_user_1:passed',
      'provision_user_2:passed',
      'room:passed',
      'messaging:passed',
      'cleanup:passed',
    ]);
    expect(run.stderr).toContain('verify: messaging passed');
    expect(leakedSecrets(run, await secretsOf(dir))).toEqual([]);
    expect(run.stdout + run.stderr).not.toMatch(/\bsyt_[A-Za-z0-9]/);
  });

  it('prints a table and exits 1 when the admin token is dead, with the code and next steps', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('verify'), 1);
    const { dir, path } = await sandboxConfig(schema);
    const dead = 'syt_ZGVhZA_deadtokendeadtoken_0abcde';
    await writeDotenvToken(dir, dead);

    const run = await runCli(['verify'], { env: { MATRIX_RESET_CONFIG: path }, cwd: dir });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^CHECK\s+RESULT\s+MS\s+CODE\s+DETAIL/m);
    expect(run.stdout).toMatch(/^admin_token\s+FAILED\s+\d+\s+unknown_token\s/m);
    expect(run.stdout).toMatch(/^cleanup\s+SKIPPED/m);
    expect(run.stdout).toContain('Next steps:');
    expect(leakedSecrets(run, [dead])).toEqual([]);
  });

  it('reads --keep-artifacts from MATRIX_RESET_KEEP_ARTIFACTS and lists what it kept', async () => {
    const { schema } = await createOpenmeetTenant(uniqueName('verify'), 1);
    const { dir, path } = await sandboxConfig(schema);

    const run = await runCli(['verify', '--json'], { env: { MATRIX_RESET_CONFIG: path, MATRIX_RESET_KEEP_ARTIFACTS: 'true' } });

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { artifacts: { kept: boolean; userIds: string[]; roomId: string }; checks: { name: string; status: string }[] };
    expect(report.artifacts.kept).toBe(true);
    expect(report.artifacts.userIds).toHaveLength(2);
    expect(report.checks.at(-1)).toMatchObject({ name: 'cleanup', status: 'skipped' });
    // The users are still active: remove what was kept, as the output says to.
    const [adminToken] = await secretsOf(dir);
    const adminCall = async (method: string, path: string, body: unknown): Promise<number> =>
      (await fetch(`${process.env.SYNAPSE_URL ?? ''}${path}`, { method, headers: { authorization: `Bearer ${adminToken ?? ''}` }, body: JSON.stringify(body) })).status;
    expect(await adminCall('DELETE', `/_synapse/admin/v2/rooms/${encodeURIComponent(report.artifacts.roomId)}`, { purge: true })).toBe(200);
    for (const userId of report.artifacts.userIds) {
      expect(await adminCall('POST', `/_synapse/admin/v1/deactivate/${encodeURIComponent(userId)}`, { erase: true })).toBe(200);
    }
  });

  it('shows examples and every flag with its environment variable in --help', async () => {
    const run = await runCli(['verify', '--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('EXAMPLES');
    expect(run.stdout).toContain('--keep-artifacts');
    expect(run.stdout).toContain('MATRIX_RESET_KEEP_ARTIFACTS');
  });
});

/** Replaces the admin token `local bootstrap` stored in the config's .env. */
async function writeDotenvToken(dir: string, token: string): Promise<void> {
  const file = join(dir, '.env');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/^MATRIX_ADMIN_ACCESS_TOKEN=.*$/m, `MATRIX_ADMIN_ACCESS_TOKEN=${token}`));
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leakedSecrets, runCli, tempDir, uniqueName } from '../../test-support/run-cli.ts';

function sandbox(): { url: string; secretFile: string } {
  const url = process.env.SYNAPSE_URL;
  const secretFile = process.env.SYNAPSE_SHARED_SECRET_FILE;
  if (!url || !secretFile) throw new Error('SYNAPSE_URL / SYNAPSE_SHARED_SECRET_FILE not set: run under the sandbox global setup');
  return { url, secretFile };
}

describe('matrix-reset local bootstrap', () => {
  it('registers an admin on the sandbox Synapse and writes its token and user id into the .env file', async () => {
    const { url, secretFile } = sandbox();
    const dir = await tempDir();
    const envFile = join(dir, '.env');
    const admin = uniqueName('admin');
    const run = await runCli(['local', 'bootstrap', '--synapse-url', url, '--shared-secret', `file:${secretFile}`, '--dotenv', envFile, '--admin-user', admin, '--yes']);
    expect(run.stderr).not.toContain('error[');
    expect(run.code).toBe(0);
    const dotenv = await readFile(envFile, 'utf8');
    const token = /^MATRIX_ADMIN_ACCESS_TOKEN=(.+)$/m.exec(dotenv)?.[1]?.replace(/^["']|["']$/g, '');
    expect(token).toBeDefined();
    expect(dotenv).toMatch(new RegExp(`^MATRIX_ADMIN_USER=.*@${admin}:`, 'm'));
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(leakedSecrets(run, [token ?? '', secret])).toEqual([]);
  });

  it('with --json prints one JSON object on stdout and no secret', async () => {
    const { url, secretFile } = sandbox();
    const dir = await tempDir();
    const envFile = join(dir, '.env');
    const run = await runCli(['local', 'bootstrap', '--json', '--yes', '--admin-user', uniqueName('admin')], {
      env: { MATRIX_RESET_SYNAPSE_URL: url, MATRIX_RESET_SHARED_SECRET: `file:${secretFile}`, MATRIX_RESET_DOTENV: envFile },
    });
    expect(run.code).toBe(0);
    expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
    const token = /^MATRIX_ADMIN_ACCESS_TOKEN=(.+)$/m.exec(await readFile(envFile, 'utf8'))?.[1]?.replace(/^["']|["']$/g, '') ?? '';
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(leakedSecrets(run, [token, secret])).toEqual([]);
  });

  it('refuses a literal shared secret (exit 2) without repeating it', async () => {
    const literal = 'not-a-reference-but-a-secret-value';
    const run = await runCli(['local', 'bootstrap', '--shared-secret', literal, '--dotenv', join(await tempDir(), '.env')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[usage]: --shared-secret takes a reference');
    expect(run.stderr).toContain('file:/path/to/secret');
    expect(leakedSecrets(run, [literal])).toEqual([]);
  });

  it('requires --shared-secret (exit 2)', async () => {
    const run = await runCli(['local', 'bootstrap']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error\[usage\]: .*shared-secret/);
  });
});

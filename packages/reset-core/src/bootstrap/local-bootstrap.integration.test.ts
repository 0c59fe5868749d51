import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getDotenvValue, setDotenvValue, SecretValue } from '@matrix-reset/secrets';
import { localBootstrap, type LocalBootstrapOptions } from './local-bootstrap.ts';
import { isResetError } from '../reset-error.ts';
import { bootstrapEnv } from '../test-support/bootstrap-env.ts';

const OTHER_LINES = '# local settings\nAPP_PORT=3000\n\n# database\nDATABASE_URL=postgres://localhost/openmeet # dev only\n';

async function tempEnv(content: string | undefined, mode = 0o644): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bootstrap-'));
  const path = join(dir, '.env');
  if (content !== undefined) await writeFile(path, content, { mode });
  return path;
}

function options(envFile: string, overrides: Partial<LocalBootstrapOptions> = {}): LocalBootstrapOptions {
  const env = bootstrapEnv();
  return { synapseUrl: env.url, sharedSecret: `file:${env.sharedSecretFile}`, adminUser: env.uniqueAdmin(), envFile, serverName: env.serverName, ...overrides };
}

async function backups(envFile: string): Promise<string[]> {
  return (await readdir(join(envFile, '..'))).filter((name) => name.startsWith('.env.bak.'));
}

describe('localBootstrap', () => {
  it('registers the admin and writes its token and user id into .env, keeping the other lines', async () => {
    const envFile = await tempEnv(OTHER_LINES);
    const opts = options(envFile);

    const result = await localBootstrap(opts);

    const userId = `@${opts.adminUser}:${bootstrapEnv().serverName}`;
    expect(result).toMatchObject({ userId, action: 'registered', written: ['MATRIX_ADMIN_ACCESS_TOKEN', 'MATRIX_ADMIN_USER'] });
    const content = await readFile(envFile, 'utf8');
    expect(content.startsWith(OTHER_LINES)).toBe(true);
    expect(getDotenvValue(content, 'MATRIX_ADMIN_USER')).toBe(userId);
    expect(getDotenvValue(content, 'MATRIX_ADMIN_PASSWORD')).toBeUndefined();
    const token = getDotenvValue(content, 'MATRIX_ADMIN_ACCESS_TOKEN') ?? '';
    const me = await bootstrapEnv().client().withAccessToken(token).whoami();
    expect(me.userId).toBe(userId);
    expect((await bootstrapEnv().client().withAccessToken(token).admin.getUser(userId))?.admin).toBe(true);
    expect((await stat(envFile)).mode & 0o777).toBe(0o644);
    expect((await backups(envFile)).length).toBeGreaterThan(0);
  });

  it('creates a missing .env with mode 0600, in one write that leaves no backup holding the token', async () => {
    const envFile = await tempEnv(undefined);

    const result = await localBootstrap(options(envFile));

    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    expect(result.written).toEqual(['MATRIX_ADMIN_ACCESS_TOKEN', 'MATRIX_ADMIN_USER']);
    expect(await backups(envFile)).toEqual([]);
  });

  it('backs an existing .env up once, before the token and user are written together', async () => {
    const envFile = await tempEnv(OTHER_LINES);

    await localBootstrap(options(envFile));

    const written = await backups(envFile);
    expect(written).toHaveLength(1);
    expect(await readFile(join(envFile, '..', written[0]!), 'utf8')).toBe(OTHER_LINES);
  });

  it('changes nothing on a second run while the .env token still works', async () => {
    const envFile = await tempEnv(OTHER_LINES);
    const opts = options(envFile);
    await localBootstrap(opts);
    const before = await readFile(envFile, 'utf8');
    const backupsBefore = await backups(envFile);

    const again = await localBootstrap(opts);

    expect(again).toMatchObject({ action: 'kept', written: [] });
    expect(await readFile(envFile, 'utf8')).toBe(before);
    expect(await backups(envFile)).toEqual(backupsBefore);
  });

  it('refuses, with next steps and without secrets, when the admin exists and .env has no working token', async () => {
    const envFile = await tempEnv(OTHER_LINES);
    const opts = options(envFile);
    await localBootstrap(opts);
    const dead = `syt_dead_${Date.now()}`;
    await writeFile(envFile, setDotenvValue(await readFile(envFile, 'utf8'), 'MATRIX_ADMIN_ACCESS_TOKEN', dead));
    const before = await readFile(envFile, 'utf8');

    const error = await localBootstrap(opts).catch((caught: unknown) => caught);

    expect(isResetError(error, 'step_failed')).toBe(true);
    expect((error as { nextSteps: string[] }).nextSteps.join('\n')).toContain('MATRIX_ADMIN_PASSWORD');
    expect(await readFile(envFile, 'utf8')).toBe(before);
    expect(JSON.stringify(error) + String(error)).not.toContain(bootstrapEnv().sharedSecret);
  });

  it('with keepPassword, stores the password and logs in with it once the token stops working', async () => {
    const envFile = await tempEnv(OTHER_LINES);
    const opts = options(envFile, { keepPassword: true });
    const first = await localBootstrap(opts);
    expect(first.written).toContain('MATRIX_ADMIN_PASSWORD');
    await writeFile(envFile, setDotenvValue(await readFile(envFile, 'utf8'), 'MATRIX_ADMIN_ACCESS_TOKEN', `syt_dead_${Date.now()}`));

    const second = await localBootstrap(opts);

    expect(second).toMatchObject({ action: 'password-login', written: ['MATRIX_ADMIN_ACCESS_TOKEN'] });
    const token = getDotenvValue(await readFile(envFile, 'utf8'), 'MATRIX_ADMIN_ACCESS_TOKEN') ?? '';
    expect((await bootstrapEnv().client().withAccessToken(token).whoami()).userId).toBe(first.userId);
  });

  it('accepts the shared secret as a SecretValue', async () => {
    const envFile = await tempEnv(OTHER_LINES);

    const result = await localBootstrap(options(envFile, { sharedSecret: new SecretValue(bootstrapEnv().sharedSecret) }));

    expect(result.action).toBe('registered');
  });

  it('refuses a shared secret given as plain text, without echoing it', async () => {
    const envFile = await tempEnv(OTHER_LINES);
    const raw = bootstrapEnv().sharedSecret;

    const error = await localBootstrap(options(envFile, { sharedSecret: raw })).catch((caught: unknown) => caught);

    expect(isResetError(error, 'config_invalid')).toBe(true);
    expect(String(error) + JSON.stringify(error)).not.toContain(raw);
    expect(await readFile(envFile, 'utf8')).toBe(OTHER_LINES);
  });
});

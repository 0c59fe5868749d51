import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResetConfig, resolveEnvironment } from '../config/reset-config.ts';
import { isResetError } from '../reset-error.ts';
import { connectAppDatabase } from './connect-environment.ts';

const yaml = (url: string) => `
version: 1
environments:
  dev:
    synapse: { url: http://127.0.0.1:8008, serverName: matrix.test }
    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]
    appDatabase: { url: "${url}", layout: { preset: openmeet, schemas: { names: [tenant_a] } } }
`;

/** The error connecting `url` (as written in the config at `dir`/matrix-reset.yaml) fails with. */
async function failure(url: string, dir = '/srv/app'): Promise<{ message: string; nextSteps: readonly string[] }> {
  const environment = resolveEnvironment(parseResetConfig(yaml(url), { path: join(dir, 'matrix-reset.yaml') }), 'dev');
  const error = await connectAppDatabase(environment, { env: {} }).catch((caught: unknown) => caught);
  expect(isResetError(error, 'config_invalid')).toBe(true);
  return error as { message: string; nextSteps: readonly string[] };
}

describe('connectAppDatabase', () => {
  it('names the environment variable a missing env: database URL refers to, and its YAML path', async () => {
    const error = await failure('env:OPENMEET_DB_URL');

    expect(error.message).toContain('environments.dev.appDatabase.url');
    expect(error.message).toContain('OPENMEET_DB_URL is not set');
    expect(error.nextSteps.join(' ')).toContain('export OPENMEET_DB_URL=');
    expect(error.nextSteps.join(' ')).not.toContain('DATABASE_URL=');
  });

  it('names the file and line of an unset env: reference, as schema errors do', async () => {
    const error = await failure('env:OPENMEET_DB_URL');

    expect(error.message.startsWith('/srv/app/matrix-reset.yaml:7:25: environments.dev.appDatabase.url: env:OPENMEET_DB_URL holds no value')).toBe(true);
  });

  it('says a dotenv: database URL names a key the .env does not have: the reference, its line, the key and the file, no value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'connect-app-db-'));
    await writeFile(join(dir, '.env'), 'APP_NAME=api\nDB_PASSWORD=Hunter2-unit-password\n', { mode: 0o600 });

    const error = await failure('dotenv:.env#DATABASE_URL', dir);

    expect(error.message).toContain(`${join(dir, 'matrix-reset.yaml')}:7:25: environments.dev.appDatabase.url:`);
    expect(error.message).toContain(`the file ${join(dir, '.env')} has no key DATABASE_URL`);
    expect(error.nextSteps[0]).toContain(`add the line DATABASE_URL=postgres://USER@HOST:5432/DATABASE to ${join(dir, '.env')}`);
    expect(JSON.stringify({ message: error.message, nextSteps: error.nextSteps })).not.toContain('Hunter2-unit-password');
  });

  it('says a dotenv: database URL names a .env that does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'connect-app-db-'));

    const error = await failure('dotenv:app.env#DATABASE_URL', dir);

    expect(error.message).toContain(`${join(dir, 'matrix-reset.yaml')}:7:25: environments.dev.appDatabase.url:`);
    expect(error.message).toContain(`the file ${join(dir, 'app.env')} does not exist`);
    expect(error.nextSteps[0]).toContain(`create ${join(dir, 'app.env')}`);
  });
});

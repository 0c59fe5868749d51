import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isResetError } from '@matrix-reset/reset-core';
import { loadServiceSettings } from './service-settings.ts';

const HASH = 'c'.repeat(64);
const environment = (name: string) => [
  `  ${name}:`,
  '    synapse: { url: http://127.0.0.1:8008, serverName: matrix.test }',
  '    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]',
  '    appDatabase: { url: env:DATABASE_URL, layout: openmeet }',
];

async function configFile(lines: string[]): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'matrix-reset-http-settings-'));
  const path = join(dir, 'matrix-reset.yaml');
  await writeFile(path, ['version: 1', 'environments:', ...lines, ''].join('\n'));
  return { dir, path };
}

const SERVICE = ['service:', '  listen: { host: 0.0.0.0, port: 9000 }', '  tokens:', `    - { name: app, sha256: ${HASH}, scopes: [read] }`];

async function codeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (error) {
    if (isResetError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('loadServiceSettings', () => {
  it('takes the file from MATRIX_RESET_CONFIG and serves its only environment on service.listen', async () => {
    const { path } = await configFile([...environment('dev'), ...SERVICE]);
    const settings = await loadServiceSettings({ env: { MATRIX_RESET_CONFIG: path } });
    expect(settings.environment.name).toBe('dev');
    expect(settings.service.listen).toEqual({ host: '0.0.0.0', port: 9000 });
  });

  it('lets MATRIX_RESET_ENV, MATRIX_RESET_HTTP_HOST and MATRIX_RESET_HTTP_PORT override the file, and options override them', async () => {
    const { dir } = await configFile([...environment('dev'), ...environment('prod'), ...SERVICE, '  environment: dev']);
    const fromEnv = await loadServiceSettings({ cwd: dir, env: { MATRIX_RESET_ENV: 'prod', MATRIX_RESET_HTTP_HOST: '127.0.0.2', MATRIX_RESET_HTTP_PORT: '0' } });
    expect(fromEnv.environment.name).toBe('prod');
    expect(fromEnv.service.listen).toEqual({ host: '127.0.0.2', port: 0 });
    const fromOptions = await loadServiceSettings({ cwd: dir, environment: 'dev', port: 1234, env: { MATRIX_RESET_ENV: 'prod', MATRIX_RESET_HTTP_PORT: '0' } });
    expect(fromOptions.environment.name).toBe('dev');
    expect(fromOptions.service.listen.port).toBe(1234);
  });

  it('refuses a file without service:, an ambiguous environment, an unknown one and a bad port, with typed errors', async () => {
    const without = await configFile(environment('dev'));
    expect(await codeOf(loadServiceSettings({ configPath: without.path, env: {} }))).toBe('config_invalid');
    const two = await configFile([...environment('dev'), ...environment('prod'), ...SERVICE]);
    expect(await codeOf(loadServiceSettings({ configPath: two.path, env: {} }))).toBe('config_invalid');
    expect(await codeOf(loadServiceSettings({ configPath: two.path, env: { MATRIX_RESET_ENV: 'staging' } }))).toBe('environment_unknown');
    expect(await codeOf(loadServiceSettings({ configPath: two.path, env: { MATRIX_RESET_ENV: 'dev', MATRIX_RESET_HTTP_PORT: 'eighty' } }))).toBe('config_invalid');
    expect(await codeOf(loadServiceSettings({ configPath: join(two.dir, 'missing.yaml'), env: {} }))).toBe('config_not_found');
  });
});

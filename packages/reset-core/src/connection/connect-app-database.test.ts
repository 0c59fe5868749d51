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

describe('connectAppDatabase', () => {
  it('names the environment variable a missing env: database URL refers to, and its YAML path', async () => {
    const environment = resolveEnvironment(parseResetConfig(yaml('env:OPENMEET_DB_URL'), { path: 'matrix-reset.yaml' }), 'dev');

    const error = await connectAppDatabase(environment, { env: {} }).catch((caught: unknown) => caught);

    expect(isResetError(error, 'config_invalid')).toBe(true);
    expect((error as Error).message).toContain('environments.dev.appDatabase.url');
    expect((error as Error).message).toContain('OPENMEET_DB_URL is not set');
    expect((error as { nextSteps: string[] }).nextSteps.join(' ')).toContain('export OPENMEET_DB_URL=');
    expect((error as { nextSteps: string[] }).nextSteps.join(' ')).not.toContain('DATABASE_URL=');
  });
});

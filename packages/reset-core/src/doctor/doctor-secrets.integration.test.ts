import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDotenvValue } from '@matrix-reset/secrets';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { connectEnvironment } from '../connection/connect-environment.ts';
import { planEnvironment } from '../plan/plan-build.ts';
import { isResetError } from '../reset-error.ts';
import { applyPlan } from '../run/apply.ts';
import { createOpenmeetTenant, ensureTestDb, synapseEnv, uniqueSuffix } from '../test-support/ensure-fixtures.ts';
import { doctor } from './doctor.ts';

const db = ensureTestDb(2);
afterAll(async () => {
  await db.destroy();
});

/** A value kept in the .env beside the key doctor looks for: no output may show it. */
const NEIGHBOUR_SECRET = `Hunter2-neighbour-${uniqueSuffix()}`;

/** An environment whose admin token is `dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN` in a fresh directory, its .env holding `dotenv` (or no .env). */
async function environmentWith(options: { dotenv: string | undefined; sharedSecret?: string }): Promise<{ environment: EnvironmentConfig; dir: string; configPath: string }> {
  const { schema } = await createOpenmeetTenant(db);
  const dir = await mkdtemp(join(tmpdir(), 'doctor-secrets-'));
  if (options.dotenv !== undefined) await writeFile(join(dir, '.env'), options.dotenv, { mode: 0o600 });
  const { url, serverName } = synapseEnv();
  const name = `ds${uniqueSuffix()}`;
  const yaml = [
    'version: 1',
    'environments:',
    `  ${name}:`,
    `    synapse: { url: ${url}, serverName: ${serverName}, adminUser: dsadmin${uniqueSuffix()}, sharedSecret: "${options.sharedSecret ?? `file:${process.env['SYNAPSE_SHARED_SECRET_FILE']}`}" }`,
    '    adminToken:',
    '      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }',
    `    appDatabase: { url: env:DATABASE_URL, layout: { preset: openmeet, schemas: { names: [${schema}] } } }`,
    '',
  ].join('\n');
  const configPath = join(dir, 'matrix-reset.yaml');
  await writeFile(configPath, yaml);
  return { environment: resolveEnvironment(parseResetConfig(yaml, { path: configPath }), name), dir, configPath };
}

async function doctorFailure(environment: EnvironmentConfig): Promise<{ message: string; nextSteps: readonly string[] }> {
  const connection = await connectEnvironment(environment);
  try {
    const error = await doctor(environment, connection, { checkSecrets: true }).catch((caught: unknown) => caught);
    expect(isResetError(error, 'config_invalid')).toBe(true);
    const { message, nextSteps } = error as { message: string; nextSteps: readonly string[] };
    expect(JSON.stringify({ message, nextSteps })).not.toContain(NEIGHBOUR_SECRET);
    return { message, nextSteps };
  } finally {
    await connection.close();
  }
}

describe("doctor on a config whose secrets cannot be read", () => {
  it('refuses an adminToken dotenv: reference to a key the .env does not have (config_invalid naming the line, the key and the file), not "absent"', async () => {
    const { environment, dir, configPath } = await environmentWith({ dotenv: `APP_NAME=api\nAPP_SECRET=${NEIGHBOUR_SECRET}\n` });

    const error = await doctorFailure(environment);

    expect(error.message).toContain(`${configPath}:6:`);
    expect(error.message).toContain(`environments.${environment.name}.adminToken[0].token`);
    expect(error.message).toContain(`the file ${join(dir, '.env')} has no key MATRIX_ADMIN_ACCESS_TOKEN`);
    expect(error.nextSteps.join('\n')).toContain('--mode restore-admin');
  });

  it('refuses an adminToken dotenv: reference to a .env that does not exist', async () => {
    const { environment, dir } = await environmentWith({ dotenv: undefined });

    const error = await doctorFailure(environment);

    expect(error.message).toContain(`the file ${join(dir, '.env')} does not exist`);
  });

  it('refuses a synapse.sharedSecret dotenv: reference to a missing key, even with a working admin token', async () => {
    const { environment, dir, configPath } = await environmentWith({ dotenv: `APP_SECRET=${NEIGHBOUR_SECRET}\n`, sharedSecret: 'dotenv:.env#SYNAPSE_REGISTRATION_SHARED_SECRET' });

    const error = await doctorFailure(environment);

    expect(error.message).toContain(`${configPath}:4:`);
    expect(error.message).toContain(`environments.${environment.name}.synapse.sharedSecret`);
    expect(error.message).toContain(`the file ${join(dir, '.env')} has no key SYNAPSE_REGISTRATION_SHARED_SECRET`);
  });

  it('still lets a restore-admin plan write the first admin token into that .env, after which doctor passes', async () => {
    const { environment, dir } = await environmentWith({ dotenv: `APP_SECRET=${NEIGHBOUR_SECRET}\n` });
    const connection = await connectEnvironment(environment);
    try {
      // A plan's doctor does not check secrets: the target is where the new token goes.
      const { plan } = await planEnvironment(environment, connection);
      expect(plan.mode).toBe('restore-admin');
      const { run } = await applyPlan(plan, connection, { confirm: async () => undefined });
      expect(run.state).toBe('finished');
    } finally {
      await connection.close();
    }
    const content = await readFile(join(dir, '.env'), 'utf8');
    expect(getDotenvValue(content, 'APP_SECRET')).toBe(NEIGHBOUR_SECRET);
    expect(getDotenvValue(content, 'MATRIX_ADMIN_ACCESS_TOKEN')).toMatch(/./);

    const fresh = await connectEnvironment(environment);
    const report = await doctor(environment, fresh, { checkSecrets: true }).finally(() => fresh.close());
    expect(report).toMatchObject({ adminToken: 'valid', recommendation: { action: 'nothing' } });
  });
});

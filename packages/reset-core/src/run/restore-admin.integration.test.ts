import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDotenvValue } from '@matrix-reset/secrets';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResetConfig, resolveEnvironment } from '../config/reset-config.ts';
import { connectEnvironment } from '../connection/connect-environment.ts';
import { doctor } from '../doctor/doctor.ts';
import { planEnvironment } from '../plan/plan-build.ts';
import { createOpenmeetTenant, ensureTestDb, plainClient, synapseEnv, uniqueSuffix } from '../test-support/ensure-fixtures.ts';
import { applyPlan } from './apply.ts';

const db = ensureTestDb(2);
afterAll(async () => {
  await db.destroy();
});

describe('a dead admin token while the app holds no stored credentials', () => {
  it('is drift: doctor recommends restore-admin, whose plan brings a working admin token back into the target', async () => {
    const { schema } = await createOpenmeetTenant(db);
    const dir = await mkdtemp(join(tmpdir(), 'restore-admin-'));
    const envFile = join(dir, '.env');
    const deadToken = `syt_dead_${uniqueSuffix()}`;
    await writeFile(envFile, `MATRIX_ADMIN_ACCESS_TOKEN=${deadToken}\n`, { mode: 0o600 });
    const { url, serverName } = synapseEnv();
    const adminUser = `rsadmin${uniqueSuffix()}`;
    const name = `rst${uniqueSuffix()}`;
    const yaml = `
version: 1
environments:
  ${name}:
    synapse: { url: ${url}, serverName: ${serverName}, adminUser: ${adminUser}, sharedSecret: "file:${process.env['SYNAPSE_SHARED_SECRET_FILE']}" }
    adminToken: [{ token: "dotenv:${envFile}#MATRIX_ADMIN_ACCESS_TOKEN" }]
    appDatabase: { url: env:DATABASE_URL, layout: { preset: openmeet, schemas: { names: [${schema}] } } }
`;
    const environment = resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), name);
    const connection = await connectEnvironment(environment);
    try {
      const before = await doctor(environment, connection);
      expect(before).toMatchObject({ adminToken: 'invalid', population: 0, recommendation: { action: 'restore-admin' } });

      const { plan } = await planEnvironment(environment, connection);
      expect(plan.mode).toBe('restore-admin');
      expect(plan.steps.map((s) => s.kind)).toEqual(['backup-secrets', 'bootstrap-admin', 'write-admin-token', 'verify']);
      const { run } = await applyPlan(plan, connection, { confirm: async () => undefined });

      expect(run.state).toBe('finished');
      const token = getDotenvValue(await readFile(envFile, 'utf8'), 'MATRIX_ADMIN_ACCESS_TOKEN') ?? '';
      expect(token).not.toBe(deadToken);
      expect((await plainClient().withAccessToken(token).whoami()).userId).toBe(`@${adminUser}:${serverName}`);
      const fresh = await connectEnvironment(environment);
      const after = await doctor(environment, fresh).finally(() => fresh.close());
      expect(after).toMatchObject({ adminToken: 'valid', recommendation: { action: 'nothing' } });
    } finally {
      await connection.close();
    }
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { connectEnvironment, type EnvironmentConnection } from '../connection/connect-environment.ts';
import { planEnvironment } from '../plan/plan-build.ts';
import type { Plan } from '../plan/plan-model.ts';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { adminClient, createOpenmeetTenant, ensureTestDb, insertAppUser, plainClient, registerMatrixUser, synapseEnv, uniqueSuffix } from './ensure-fixtures.ts';

/** A tenant planted for a repair: one valid token, one killed by logout, one row whose Matrix user never existed. */
export interface RepairSandbox {
  readonly environment: EnvironmentConfig;
  readonly schema: string;
  readonly keys: { readonly valid: number; readonly killed: number; readonly gone: number };
  readonly userIds: { readonly valid: string; readonly killed: string; readonly gone: string };
  /** Every secret value planted: none may appear in a plan, journal or message. */
  readonly secrets: readonly string[];
  connect(): Promise<EnvironmentConnection>;
}

/**
 * Plants an OpenMeet tenant on the sandbox Postgres, users on the sandbox Synapse, and a matrix-reset.yaml (local
 * environment with a unique name, admin token in a .env) naming just that tenant.
 */
export async function plantRepairSandbox(options: { protected?: boolean } = {}): Promise<RepairSandbox> {
  const db = ensureTestDb(2);
  try {
    const { accessToken: adminToken } = await adminClient();
    const { schema } = await createOpenmeetTenant(db);
    const valid = await registerMatrixUser();
    const killed = await registerMatrixUser();
    const killedToken = killed.accessToken;
    await plainClient().withAccessToken(killedToken).logout();
    const goneUserId = `@gone-${uniqueSuffix()}:${synapseEnv().serverName}`;
    const goneToken = `syt_gone_${uniqueSuffix()}`;
    const keys = {
      valid: await insertAppUser(db, schema, { slug: 'valid', userId: valid.userId, accessToken: valid.accessToken, deviceId: 'DEVV' }),
      killed: await insertAppUser(db, schema, { slug: 'killed', userId: killed.userId, accessToken: killedToken, deviceId: 'DEVK' }),
      gone: await insertAppUser(db, schema, { slug: 'gone', userId: goneUserId, accessToken: goneToken, deviceId: 'DEVG' }),
    };
    await sql`UPDATE ${sql.id(schema, 'users')} SET preferences = '{"matrix": {"connected": true}}'::jsonb`.execute(db);

    const name = `sbx${uniqueSuffix()}`;
    const dir = await mkdtemp(join(tmpdir(), 'plan-'));
    await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${adminToken}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'homeserver.yaml'), 'database:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\n');
    const { url, serverName, sharedSecret } = synapseEnv();
    const yaml = `
version: 1
environments:
  ${name}:
    protected: ${options.protected === true}
    synapse:
      url: ${url}
      serverName: ${serverName}
      sharedSecret: env:SYNAPSE_SHARED_SECRET_FILE
      homeserverConfig: { file: homeserver.yaml }
    adminToken:
      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }
    appDatabase:
      url: env:DATABASE_URL
      layout: { preset: openmeet, schemas: { names: [${schema}] } }
`;
    const environment = resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), name);
    return {
      environment,
      schema,
      keys,
      userIds: { valid: valid.userId, killed: killed.userId, gone: goneUserId },
      secrets: [adminToken, valid.accessToken, killedToken, goneToken, sharedSecret],
      connect: () => connectEnvironment(environment),
    };
  } finally {
    await db.destroy();
  }
}

/** The plan for a connection's environment, as `matrix-reset plan` makes it (auto mode). */
export async function planFor(connection: EnvironmentConnection): Promise<Plan> {
  return (await planEnvironment(connection.environment, connection)).plan;
}

/** Plants a repair sandbox, connects to it, runs `fn`, and closes the connection. */
export async function withSandbox<T>(fn: (sandbox: RepairSandbox, connection: EnvironmentConnection) => Promise<T>): Promise<T> {
  const sandbox = await plantRepairSandbox();
  const connection = await sandbox.connect();
  try {
    return await fn(sandbox, connection);
  } finally {
    await connection.close();
  }
}

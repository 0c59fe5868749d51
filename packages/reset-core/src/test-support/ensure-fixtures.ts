import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createSynapseClient, type SynapseClient } from '@matrix-reset/synapse-admin';
import { openmeetLayout, type AnyKysely, type CredentialLayout } from '@matrix-reset/user-creds';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run through packages/reset-core/vitest.config.ts (the sandbox global setup exports it)`);
  }
  return value;
}

/** The sandbox's native Synapse. */
export function synapseEnv(): { url: string; serverName: string; sharedSecret: string; delegatedUrl: string } {
  return {
    url: required('SYNAPSE_URL'),
    serverName: required('SYNAPSE_SERVER_NAME'),
    sharedSecret: readFileSync(required('SYNAPSE_SHARED_SECRET_FILE'), 'utf8').trim(),
    delegatedUrl: required('SYNAPSE_DELEGATED_URL'),
  };
}

/** A Kysely on its own pool on the sandbox's Postgres: two of them behave like two processes. */
export function ensureTestDb(max = 8): AnyKysely {
  return new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: required('DATABASE_URL'), max }) }) });
}

/** `<prefix>-<random hex>`, lower case. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

/** A client on the native sandbox Synapse without a token. */
export function plainClient(): SynapseClient {
  const env = synapseEnv();
  return createSynapseClient({ baseUrl: env.url, serverName: env.serverName });
}

/** Registers a user with the shared secret; returns its id and a token (a device token). */
export async function registerMatrixUser(options: { admin?: boolean; localpart?: string } = {}): Promise<{ userId: string; localpart: string; accessToken: string }> {
  const env = synapseEnv();
  const localpart = options.localpart ?? `${options.admin === true ? 'ens-admin' : 'ens-user'}-${uniqueSuffix()}`;
  const result = await plainClient().registerWithSharedSecret({
    sharedSecret: env.sharedSecret,
    username: localpart,
    password: `pw-${randomBytes(12).toString('hex')}`,
    admin: options.admin ?? false,
  });
  if (!result.created) throw new Error(`expected ${localpart} to be new`);
  return { userId: result.userId, localpart, accessToken: result.accessToken };
}

/** A client carrying a fresh admin's token. */
export async function adminClient(): Promise<{ client: SynapseClient; accessToken: string }> {
  const admin = await registerMatrixUser({ admin: true });
  return { client: plainClient().withAccessToken(admin.accessToken), accessToken: admin.accessToken };
}

/** OpenMeet's `users` table in a fresh `tenant_<random>` schema, and the layout covering just it. */
export async function createOpenmeetTenant(db: AnyKysely): Promise<{ schema: string; tenant: string; layout: CredentialLayout }> {
  const tenant = `ens${uniqueSuffix()}`;
  const schema = `tenant_${tenant}`;
  await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
  await sql`
    CREATE TABLE ${sql.id(schema, 'users')} (
      id serial PRIMARY KEY, slug varchar NOT NULL,
      "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
    )`.execute(db);
  return { schema, tenant, layout: openmeetLayout({ schemas: { names: [schema] } }) };
}

/** Inserts an app user; returns its key. */
export async function insertAppUser(
  db: AnyKysely,
  schema: string,
  values: { slug: string; userId?: string | null; accessToken?: string | null; deviceId?: string | null },
): Promise<number> {
  const result = await sql<{ id: number }>`
    INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId")
    VALUES (${values.slug}, ${values.userId ?? null}, ${values.accessToken ?? null}, ${values.deviceId ?? null}) RETURNING id`.execute(db);
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error('insert returned no id');
  return id;
}

/** The row's stored credentials, straight from the table. */
export async function storedRow(db: AnyKysely, schema: string, id: number): Promise<{ userId: string | null; accessToken: string | null; deviceId: string | null }> {
  const result = await sql<{ userId: string | null; accessToken: string | null; deviceId: string | null }>`
    SELECT "matrixUserId" AS "userId", "matrixAccessToken" AS "accessToken", "matrixDeviceId" AS "deviceId"
    FROM ${sql.id(schema, 'users')} WHERE id = ${id}`.execute(db);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`no row ${id} in ${schema}`);
  return row;
}

/**
 * How many Matrix users the admin API lists whose id contains `text`, active and deactivated (`/v3/users` treats
 * `deactivated=true` as a filter: only deactivated users).
 */
export async function countMatrixUsers(admin: SynapseClient, text: string): Promise<number> {
  let count = 0;
  for (const deactivated of [false, true]) {
    for await (const user of admin.admin.listUsers({ name: text, deactivated })) if (user.userId.includes(text)) count++;
  }
  return count;
}

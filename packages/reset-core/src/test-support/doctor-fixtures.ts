import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createSynapseClient, type SynapseClient } from '@matrix-reset/synapse-admin';
import { openmeetLayout, type AnyKysely, type CredentialLayout } from '@matrix-reset/user-creds';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new Error(`${name} is not set: run through packages/reset-core/vitest.config.ts (the sandbox sets it)`);
  return value;
}

/** Which of the sandbox's Synapses: the native one (SQLite) or `postgres`, the one on its own Postgres database. */
export type SandboxSynapseKind = 'native' | 'postgres';

/** A sandbox Synapse: URL, server name and registration shared secret. */
export function sandboxSynapse(kind: SandboxSynapseKind = 'native'): { url: string; serverName: string; sharedSecret: string } {
  const prefix = kind === 'native' ? 'SYNAPSE' : 'SYNAPSE_POSTGRES';
  return {
    url: required(`${prefix}_URL`),
    serverName: required(`${prefix}_SERVER_NAME`),
    sharedSecret: readFileSync(required(`${prefix}_SHARED_SECRET_FILE`), 'utf8').trim(),
  };
}

/** A Kysely on the sandbox Postgres. */
export function sandboxDb(): AnyKysely {
  return new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: required('DATABASE_URL'), max: 4 }) }) });
}

export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

/** A user registered through the shared secret (a real, valid token with a device). */
export interface RegisteredUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

export async function registerUser(client: SynapseClient, localpart: string, admin = false, kind: SandboxSynapseKind = 'native'): Promise<RegisteredUser> {
  const { sharedSecret } = sandboxSynapse(kind);
  const result = await client.registerWithSharedSecret({ sharedSecret, username: localpart, password: `pw-${uniqueSuffix()}`, admin });
  if (!result.created || result.accessToken === undefined) throw new Error(`expected ${localpart} to be created with a token`);
  return { userId: result.userId, accessToken: result.accessToken, deviceId: result.deviceId ?? 'NODEVICE' };
}

/** A plain client and an admin client (fresh admin user) on a sandbox Synapse. */
export async function sandboxClients(kind: SandboxSynapseKind = 'native'): Promise<{ client: SynapseClient; admin: SynapseClient; adminUser: RegisteredUser }> {
  const { url, serverName } = sandboxSynapse(kind);
  const client = createSynapseClient({ baseUrl: url, serverName });
  const adminUser = await registerUser(client, `doctor-admin-${uniqueSuffix()}`, true, kind);
  return { client, admin: client.withAccessToken(adminUser.accessToken), adminUser };
}

/** One row of an OpenMeet `users` table. */
export interface UserRow {
  readonly slug: string;
  readonly matrixUserId: string | null;
  readonly matrixAccessToken: string | null;
  readonly matrixDeviceId: string | null;
}

/**
 * OpenMeet's shape in fresh schemas `tenant_<id>_<n>`: `users` with quoted camelCase credential columns and
 * `preferences`, plus `events`/`groups` with `"matrixRoomId"`, as user-creds' `openmeetLayout` expects. Returns the
 * layout selecting exactly these schemas.
 */
export async function createOpenmeetTenants(db: AnyKysely, rowsPerTenant: readonly (readonly UserRow[])[]): Promise<{ schemas: string[]; layout: CredentialLayout }> {
  const id = uniqueSuffix();
  const schemas = rowsPerTenant.map((_, i) => `tenant_${id}_${i}`);
  for (const [i, schema] of schemas.entries()) {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`
      CREATE TABLE ${sql.id(schema, 'users')} (
        id serial PRIMARY KEY, slug varchar NOT NULL,
        "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
      )`.execute(db);
    for (const table of ['events', 'groups']) await sql`CREATE TABLE ${sql.id(schema, table)} (id serial PRIMARY KEY, "matrixRoomId" varchar)`.execute(db);
    for (const row of rowsPerTenant[i] ?? []) {
      await sql`
        INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
        VALUES (${row.slug}, ${row.matrixUserId}, ${row.matrixAccessToken}, ${row.matrixDeviceId}, '{"matrix": {"connected": true}}'::jsonb)`.execute(db);
    }
  }
  return { schemas, layout: openmeetLayout({ schemas: { names: schemas } }) };
}

/** md5 of every column of every row of `schema.users`, in key order. */
export async function usersChecksum(db: AnyKysely, schema: string): Promise<string> {
  const result = await sql<{ f: string }>`
    SELECT md5(coalesce(string_agg(t::text, E'\n' ORDER BY t.id), '')) AS f FROM ${sql.id(schema, 'users')} t`.execute(db);
  return result.rows[0]?.f ?? '';
}

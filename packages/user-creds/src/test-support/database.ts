import type { AnyKysely } from '../any-kysely.ts';
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';

/** A Kysely on the sandbox's fresh database (`DATABASE_URL`); fails loudly when the variable is missing. */
export function testDb(): AnyKysely {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') {
    throw new Error('DATABASE_URL is not set: run these tests with `npx nx test @matrix-reset/user-creds` (the sandbox global setup exports it)');
  }
  return new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 8 }) }) });
}

/** A lower-case name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** md5 of a whole table, every column, in key order: "identical table" means equal fingerprints. */
export async function tableFingerprint(db: AnyKysely, schema: string, table: string, key = 'id'): Promise<string> {
  const result = await sql<{ f: string }>`
    SELECT md5(coalesce(string_agg(t::text, E'\n' ORDER BY t.${sql.id(key)}), '')) AS f FROM ${sql.id(schema, table)} t`.execute(db);
  return result.rows[0]?.f ?? '';
}

/**
 * The runbook's shape in `schema`: `"user"` with `rows` users; every 5th has no credentials, every 7th only a
 * device id.
 */
export async function createRunbookFixture(db: AnyKysely, schema: string, rows: number): Promise<void> {
  await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
  await sql`
    CREATE TABLE ${sql.id(schema, 'user')} (
      id serial PRIMARY KEY, email text NOT NULL,
      matrix_user_id varchar(255), matrix_access_token varchar(255), matrix_device_id varchar(255)
    )`.execute(db);
  await sql`
    INSERT INTO ${sql.id(schema, 'user')} (email, matrix_user_id, matrix_access_token, matrix_device_id)
    SELECT 'u' || g || '@example.org',
           CASE WHEN g % 5 = 0 OR g % 7 = 0 THEN NULL ELSE '@u' || g || ':example.org' END,
           CASE WHEN g % 5 = 0 OR g % 7 = 0 THEN NULL ELSE 'syt_' || md5(g::text) END,
           CASE WHEN g % 5 = 0 THEN NULL ELSE 'DEV' || g END
    FROM generate_series(1, ${rows}) g`.execute(db);
}

export interface OpenmeetFixture {
  /** `LIKE` pattern of the tenant schemas. */
  like: string;
  publicSchema: string;
  tenants: string[];
}

/**
 * OpenMeet's shape: `tenant_<id>_<n>` schemas plus a `<id>_public`, each with `users` (camelCase credential columns,
 * `preferences` jsonb with a `matrix` key), `events` and `groups` with `"matrixRoomId"`. `dropColumns` removes
 * columns from the last tenant, like OpenMeet's later migration did.
 */
export async function createOpenmeetFixture(
  db: AnyKysely,
  options: { tenants: number; rows: number; dropColumns?: string[] },
): Promise<OpenmeetFixture> {
  const id = randomBytes(4).toString('hex');
  const tenants = Array.from({ length: options.tenants }, (_, i) => `tenant_${id}_${i}`);
  const publicSchema = `p${id}_public`;
  for (const schema of [publicSchema, ...tenants]) {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`
      CREATE TABLE ${sql.id(schema, 'users')} (
        id serial PRIMARY KEY, slug varchar NOT NULL,
        "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
      )`.execute(db);
    await sql`
      INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
      SELECT 'user' || g,
             CASE WHEN g % 4 = 0 THEN NULL ELSE '@user' || g || ':example.org' END,
             CASE WHEN g % 4 = 0 THEN NULL ELSE 'syt_' || md5(${schema}::text || g) END,
             CASE WHEN g % 4 = 0 THEN NULL ELSE 'DEV' || g END,
             CASE WHEN g % 3 = 0 THEN NULL
                  WHEN g % 4 = 0 THEN '{"theme": "dark"}'::jsonb
                  ELSE jsonb_build_object('theme', 'light', 'matrix', jsonb_build_object('connected', true)) END
      FROM generate_series(1, ${options.rows}) g`.execute(db);
    for (const table of ['events', 'groups']) {
      await sql`CREATE TABLE ${sql.id(schema, table)} (id serial PRIMARY KEY, "matrixRoomId" varchar)`.execute(db);
      await sql`INSERT INTO ${sql.id(schema, table)} ("matrixRoomId") SELECT '!room' || g || ':example.org' FROM generate_series(1, 3) g`.execute(db);
    }
  }
  const last = tenants[tenants.length - 1];
  if (last !== undefined) {
    for (const column of options.dropColumns ?? []) await sql`ALTER TABLE ${sql.id(last, 'users')} DROP COLUMN ${sql.id(column)}`.execute(db);
  }
  return { like: `tenant\\_${id}\\_%`, publicSchema, tenants };
}

/**
 * A custom shape: schemas `org_<id>_<n>`, table `accounts` keyed by text `handle`, columns `mx_user`, `mx_token`,
 * `mx_device`, an extra `mx_sync` to clear, and `channels.mx_room`.
 */
export async function createCustomFixture(db: AnyKysely, options: { orgs: number; rows: number }): Promise<{ like: string; schemas: string[] }> {
  const id = randomBytes(4).toString('hex');
  const schemas = Array.from({ length: options.orgs }, (_, i) => `org_${id}_${i}`);
  for (const schema of schemas) {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`
      CREATE TABLE ${sql.id(schema, 'accounts')} (
        handle text PRIMARY KEY, mx_user text, mx_token text, mx_device text, mx_sync text, created_at timestamptz DEFAULT now()
      )`.execute(db);
    await sql`
      INSERT INTO ${sql.id(schema, 'accounts')} (handle, mx_user, mx_token, mx_device, mx_sync)
      SELECT 'h' || lpad(g::text, 5, '0'), '@h' || g || ':example.org', 'syt_' || md5('c' || g), 'D' || g,
             CASE WHEN g % 2 = 0 THEN 's' || g END
      FROM generate_series(1, ${options.rows}) g`.execute(db);
    await sql`CREATE TABLE ${sql.id(schema, 'channels')} (id serial PRIMARY KEY, mx_room text)`.execute(db);
  }
  return { like: `org\\_${id}\\_%`, schemas };
}

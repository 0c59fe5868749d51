import { sql } from 'kysely';
import type { UserCredsContext } from './affected-columns.ts';
import { discoverLayout, type DiscoveredSchema } from './discover-layout.ts';
import type { StoredCredential } from './stream-credentials.ts';
import { UserCredsError } from './user-creds-error.ts';

export interface WriteCredentialsOptions {
  schema: string;
  /** The row's key column value. */
  key: string | number;
  /** The token the caller read before minting a new one (`null` when there was none): the compare of compare-and-set. */
  expectedAccessToken: string | null;
  userId: string | null;
  accessToken: string | null;
  deviceId: string | null;
}

/** `written`: the row now holds the new values; `conflict`: another writer changed the token first; `not_found`: no such key. */
export type WriteCredentialsResult = { readonly status: 'written' } | { readonly status: 'conflict' } | { readonly status: 'not_found' };

/**
 * How long the columns found for one schema are trusted by the per-row calls below (read and write run once per
 * ensure-credentials call; discovering the whole layout every time cost four catalog queries per call). A statement
 * that fails on a missing table or column drops the entry and is tried once more with a fresh look.
 */
const SCHEMA_CACHE_MS = 30_000;
const schemaCache = new WeakMap<object, WeakMap<object, Map<string, { schema: DiscoveredSchema; expires: number }>>>();

function cacheOf(ctx: UserCredsContext): Map<string, { schema: DiscoveredSchema; expires: number }> {
  let byLayout = schemaCache.get(ctx.db);
  if (byLayout === undefined) schemaCache.set(ctx.db, (byLayout = new WeakMap()));
  let bySchema = byLayout.get(ctx.layout);
  if (bySchema === undefined) byLayout.set(ctx.layout, (bySchema = new Map()));
  return bySchema;
}

async function schemaFor(ctx: UserCredsContext, schemaName: string): Promise<DiscoveredSchema> {
  const cache = cacheOf(ctx);
  const cached = cache.get(schemaName);
  if (cached !== undefined && cached.expires > Date.now()) return cached.schema;
  const discovery = await discoverLayout(ctx.db, ctx.layout, { rowCounts: 'estimate' });
  const schema = discovery.schemas.find((s) => s.schema === schemaName);
  if (schema === undefined || !schema.usable) {
    cache.delete(schemaName);
    throw new UserCredsError({
      code: 'no_usable_schema',
      schema: schemaName,
      message: `Schema ${schemaName} is not covered by layout ${ctx.layout.name}${schema ? `: ${schema.problems.join('; ')}` : ''}`,
      nextSteps: ['Run discover() to see which schemas the layout covers.'],
    });
  }
  cache.set(schemaName, { schema, expires: Date.now() + SCHEMA_CACHE_MS });
  return schema;
}

/** Postgres' undefined_table and undefined_column: the cached columns are out of date (a migration ran). */
function isStaleShape(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '42703';
}

/** Runs `fn` with the schema's columns; once more with freshly discovered ones when the cached shape was stale. */
async function withSchema<T>(ctx: UserCredsContext, schemaName: string, fn: (schema: DiscoveredSchema) => Promise<T>): Promise<T> {
  try {
    return await fn(await schemaFor(ctx, schemaName));
  } catch (error) {
    if (!isStaleShape(error) || !cacheOf(ctx).delete(schemaName)) throw error;
    return fn(await schemaFor(ctx, schemaName));
  }
}

/**
 * Writes one user's new credentials with compare-and-set on the old token
 * (`UPDATE ... WHERE key = $1 AND token IS NOT DISTINCT FROM $old`): of two concurrent writers that read the same
 * token, exactly one wins and the other gets `conflict`, re-reads and decides again. Columns the schema lacks are
 * skipped; the token column is required.
 *
 * @example
 * ```ts
 * const current = await readCredentials(ctx, { schema: 'tenant_acme', key: 42 });
 * const result = await writeCredentials(ctx, {
 *   schema: 'tenant_acme', key: 42, expectedAccessToken: current?.accessToken ?? null,
 *   userId: '@alice_acme:example.org', accessToken: 'syt_new_token', deviceId: 'NEWDEVICE',
 * });
 * if (result.status === 'conflict') { // someone else refreshed it: re-read
 * }
 * ```
 */
export function writeCredentials(ctx: UserCredsContext, options: WriteCredentialsOptions): Promise<WriteCredentialsResult> {
  return withSchema(ctx, options.schema, (schema) => writeRow(ctx, schema, options));
}

async function writeRow(ctx: UserCredsContext, schema: DiscoveredSchema, options: WriteCredentialsOptions): Promise<WriteCredentialsResult> {
  if (!schema.accessToken.present) {
    throw new UserCredsError({
      code: 'column_missing',
      schema: schema.schema,
      message: `Table ${schema.schema}.${schema.table} has no column ${schema.accessToken.name}: compare-and-set needs the token column`,
      nextSteps: ['Check the layout, or write this schema with the app itself.'],
    });
  }
  const sets = [sql`${sql.id(schema.accessToken.name)} = ${options.accessToken}`];
  if (schema.userId.present) sets.push(sql`${sql.id(schema.userId.name)} = ${options.userId}`);
  if (schema.deviceId.present) sets.push(sql`${sql.id(schema.deviceId.name)} = ${options.deviceId}`);
  const table = sql.id(schema.schema, schema.table);
  const key = sql.id(ctx.layout.keyColumn);
  const updated = await sql`
    UPDATE ${table} SET ${sql.join(sets, sql`, `)}
    WHERE ${key} = ${options.key} AND ${sql.id(schema.accessToken.name)} IS NOT DISTINCT FROM ${options.expectedAccessToken}::text
    RETURNING 1`.execute(ctx.db);
  if (updated.rows.length === 1) return { status: 'written' };
  const exists = await sql`SELECT 1 FROM ${table} WHERE ${key} = ${options.key}`.execute(ctx.db);
  return exists.rows.length === 0 ? { status: 'not_found' } : { status: 'conflict' };
}

/**
 * Reads one row's credentials (undefined when the key does not exist).
 *
 * @example
 * ```ts
 * const current = await readCredentials(ctx, { schema: 'public', key: 7 });
 * ```
 */
export function readCredentials(ctx: UserCredsContext, options: { schema: string; key: string | number }): Promise<StoredCredential | undefined> {
  return withSchema(ctx, options.schema, (schema) => readRow(ctx, schema, options.key));
}

async function readRow(ctx: UserCredsContext, schema: DiscoveredSchema, key: string | number): Promise<StoredCredential | undefined> {
  const pick = (present: boolean, name: string) => (present ? sql`${sql.id(name)}::text` : sql`NULL::text`);
  const result = await sql<{ key_text: string; user_id: string | null; access_token: string | null; device_id: string | null }>`
    SELECT ${sql.id(ctx.layout.keyColumn)}::text AS key_text,
           ${pick(schema.userId.present, schema.userId.name)} AS user_id,
           ${pick(schema.accessToken.present, schema.accessToken.name)} AS access_token,
           ${pick(schema.deviceId.present, schema.deviceId.name)} AS device_id
    FROM ${sql.id(schema.schema, schema.table)} WHERE ${sql.id(ctx.layout.keyColumn)} = ${key}`.execute(ctx.db);
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return Object.freeze({ schema: schema.schema, key: row.key_text, userId: row.user_id, accessToken: row.access_token, deviceId: row.device_id, localpart: undefined });
}

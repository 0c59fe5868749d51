import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { AnyKysely } from './any-kysely.ts';

/**
 * A Kysely on a `pg` pool, for callers that do not already have one. Remember `await db.destroy()` at the end.
 *
 * @example
 * ```ts
 * const db = postgresKysely({ connectionString: process.env.DATABASE_URL!, max: 4 });
 * try { await createUserCreds({ db, layout: runbookLayout() }).inventory(); } finally { await db.destroy(); }
 * ```
 */
export function postgresKysely(options: { connectionString: string; max?: number; applicationName?: string }): AnyKysely {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 4, application_name: options.applicationName ?? 'matrix-reset' });
  return new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
}

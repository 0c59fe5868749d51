import type { Kysely, Transaction } from 'kysely';

/**
 * Any Kysely instance, whatever its database type: the app's tables are discovered at run time, so this package
 * writes its SQL with `sql` templates and never relies on the caller's `DB` type.
 *
 * @example
 * ```ts
 * import { Kysely, PostgresDialect } from 'kysely';
 * import pg from 'pg';
 *
 * interface AppDb { users: { id: number; matrix_access_token: string | null } }
 * const db: AnyKysely = new Kysely<AppDb>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }) });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one place the caller's DB type is erased, on purpose
export type AnyKysely = Kysely<any>;

/** A transaction of an {@link AnyKysely}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export type AnyTransaction = Transaction<any>;

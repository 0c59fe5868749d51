import { sql } from 'kysely';
import { DEFAULT_OWN_SCHEMA, type AnyKysely } from '@matrix-reset/user-creds';
import { migrateOwnTables } from '../journal/migrations.ts';

/**
 * The HTTP service's ended browser sessions, kept in the app database (schema `matrix_reset`, table
 * `session_revocation`) so that a logout on one instance ends the session on every instance. A session is named by
 * its id (random, from its cookie: never the cookie or a token); a row lives until the session would have expired.
 */
export interface SessionRevocationStore {
  /** Ends session `sessionId` (valid until `expiresAt`) everywhere; ending it twice is harmless. Drops rows whose sessions have expired anyway. */
  revoke(sessionId: string, expiresAt: Date): Promise<void>;
  /** True when `sessionId` was ended by {@link SessionRevocationStore.revoke}. */
  isRevoked(sessionId: string): Promise<boolean>;
}

/**
 * Opens the store, migrating matrix-reset's tables first.
 *
 * @example
 * ```ts
 * const revocations = await openSessionRevocationStore(connection.db);
 * await revocations.revoke('5Xq0v3M3s0dG9rZW4', new Date(Date.now() + 8 * 3600_000));
 * await revocations.isRevoked('5Xq0v3M3s0dG9rZW4'); // true, on every instance
 * ```
 */
export async function openSessionRevocationStore(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<SessionRevocationStore> {
  const own = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  await migrateOwnTables(db, { ownSchema: own });
  const table = sql.id(own, 'session_revocation');
  return Object.freeze({
    async revoke(sessionId, expiresAt) {
      await sql`
        INSERT INTO ${table} (session_id, expires_at) VALUES (${sessionId}, ${expiresAt})
        ON CONFLICT (session_id) DO NOTHING`.execute(db);
      await sql`DELETE FROM ${table} WHERE expires_at < now()`.execute(db);
    },
    async isRevoked(sessionId) {
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one FROM ${table} WHERE session_id = ${sessionId}`.execute(db);
      return rows.length > 0;
    },
  } satisfies SessionRevocationStore);
}

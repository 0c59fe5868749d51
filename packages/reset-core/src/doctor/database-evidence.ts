import type pg from 'pg';
import { foreignUserVerdict, LOCKED_REASON, type CredentialClass } from './token-classifier.ts';

/*
 * Doctor's other evidence: Synapse's own tables instead of one whoami per credential. What whoami decides, Synapse
 * decides from `access_tokens` and `users`: a token is known when its row exists and the user it acts as
 * (`coalesce(puppets_user_id, user_id)`, as Synapse's token lookup joins them) has a `users` row; it answers as
 * that user unless `valid_until_ms` has passed (soft logout) or the user is locked (`M_USER_LOCKED`). It does answer
 * for a deactivated user whose token row survived (deactivation deletes the rows; a restored dump can bring one
 * back): database-evidence.integration.test.ts checks each of these against the real whoami. A dead token's user is
 * then looked up in `users`, as the admin API would. Each page of credentials is classified in one query, the tokens passed as a parameter array:
 * they are in no SQL text, log or error.
 */

/** The Synapse schema versions whose `access_tokens` and `users` this classification knows (schema_version.version). */
export const SUPPORTED_SCHEMA_VERSIONS = Object.freeze({ min: 73, max: 99 });

/** Columns the query reads, by table. */
const REQUIRED_COLUMNS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  access_tokens: ['token', 'user_id', 'puppets_user_id', 'valid_until_ms'],
  users: ['name', 'deactivated', 'admin', 'locked'],
});

/** Whether Synapse's database can serve as doctor's evidence: its schema version and the columns the query reads. */
export type SchemaSupport = { readonly supported: true; readonly version: number } | { readonly supported: false; readonly version: number | undefined; readonly reason: string };

/**
 * Reads Synapse's `schema_version` and checks the columns the classification reads.
 *
 * @example
 * ```ts
 * const session = await connectSynapseDatabase(env, connection, { readOnly: true });
 * const support = await synapseSchemaSupport(session.client); // { supported: true, version: 92 }
 * ```
 */
export async function synapseSchemaSupport(client: pg.ClientBase): Promise<SchemaSupport> {
  const present = await client.query<{ present: boolean }>(`SELECT to_regclass('schema_version') IS NOT NULL AS present`);
  if (present.rows[0]?.present !== true) return { supported: false, version: undefined, reason: 'it has no schema_version table (not a Synapse database, or Synapse never started on it)' };
  const { rows } = await client.query<{ version: number | null }>('SELECT version FROM schema_version');
  const version = rows[0]?.version ?? undefined;
  if (version === undefined) return { supported: false, version, reason: 'its schema_version table is empty' };
  const { min, max } = SUPPORTED_SCHEMA_VERSIONS;
  if (version < min || version > max) {
    return { supported: false, version, reason: `its schema version ${version} is outside the versions this matrix-reset knows (${min}-${max})` };
  }
  const columns = await client.query<{ table: string; column: string }>(
    `SELECT table_name AS table, column_name AS column FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [Object.keys(REQUIRED_COLUMNS)],
  );
  const have = new Set(columns.rows.map((row) => `${row.table}.${row.column}`));
  const missing = Object.entries(REQUIRED_COLUMNS).flatMap(([table, names]) => names.map((name) => `${table}.${name}`).filter((name) => !have.has(name)));
  if (missing.length > 0) return { supported: false, version, reason: `it lacks ${missing.join(', ')}` };
  return { supported: true, version };
}

/** One stored credential to classify: its user id and token as the app holds them. */
export interface EvidenceRow {
  readonly userId: string;
  readonly token: string;
}

/** A verdict, as the API path gives it. */
export interface EvidenceVerdict {
  readonly class: CredentialClass;
  readonly reason?: string;
  readonly actualUserId?: string;
}

interface PageRow {
  i: number;
  acts_as: string | null;
  valid_until_ms: string | null;
  acting_locked: boolean | null;
  user_exists: boolean;
  user_deactivated: number | null;
}

const VALID: EvidenceVerdict = Object.freeze({ class: 'valid' });
const EXPIRED: EvidenceVerdict = Object.freeze({ class: 'expired' });
const DEACTIVATED: EvidenceVerdict = Object.freeze({ class: 'deactivated' });
const LOCKED: EvidenceVerdict = Object.freeze({ class: 'deactivated', reason: LOCKED_REASON });
const MISSING_USER: EvidenceVerdict = Object.freeze({ class: 'missing_user' });
const UNKNOWN_TOKEN: EvidenceVerdict = Object.freeze({ class: 'unknown_token' });

function verdictOf(row: EvidenceRow, found: PageRow, nowMs: number, serverName: string | undefined): EvidenceVerdict {
  if (found.acts_as !== null) {
    if (found.valid_until_ms !== null && Number(found.valid_until_ms) < nowMs) return EXPIRED;
    if (found.acting_locked === true) return LOCKED;
    return found.acts_as === row.userId ? VALID : { class: 'wrong_owner', actualUserId: found.acts_as };
  }
  if (!found.user_exists) return foreignUserVerdict(row.userId, serverName) ?? MISSING_USER;
  return found.user_deactivated === 1 ? DEACTIVATED : UNKNOWN_TOKEN;
}

/**
 * Classifies a page of credentials against Synapse's tables in one query (run it inside a read-only transaction for
 * one snapshot across pages); the verdicts in the page's order. With `serverName`, a dead token whose row names a
 * user of another server says so in its reason, as the API path does.
 *
 * @example
 * ```ts
 * const session = await connectSynapseDatabase(env, connection, { readOnly: true });
 * const verdicts = await classifyAgainstDatabase(session.client, [{ userId: '@a:x', token: 'syt_...' }]);
 * ```
 */
export async function classifyAgainstDatabase(
  client: pg.ClientBase,
  page: readonly EvidenceRow[],
  options: { readonly nowMs?: number; readonly serverName?: string | undefined } = {},
): Promise<EvidenceVerdict[]> {
  const nowMs = options.nowMs ?? Date.now();
  if (page.length === 0) return [];
  // One index probe per row and table, whatever the tables' size: as plain LEFT JOINs the planner hashed the page
  // against full scans of access_tokens and users once the page was large next to the tables (300,000 users: 2.0 s a
  // page of 5,000, against 0.1 s so). LIMIT 1 keeps each lookup a subquery it cannot flatten back into a join; token
  // and name are unique (access_tokens_token_key, users_name_key), so the rows are the joins' rows.
  const { rows } = await client.query<PageRow>(
    `SELECT p.i,
            acting.name AS acts_as, t.valid_until_ms::text AS valid_until_ms, acting.locked AS acting_locked,
            named.name IS NOT NULL AS user_exists, named.deactivated AS user_deactivated
       FROM unnest($1::int[], $2::text[], $3::text[]) AS p(i, user_id, token)
       LEFT JOIN LATERAL (SELECT user_id, puppets_user_id, valid_until_ms FROM access_tokens WHERE token = p.token LIMIT 1) t ON true
       LEFT JOIN LATERAL (SELECT name, locked FROM users WHERE name = coalesce(t.puppets_user_id, t.user_id) LIMIT 1) acting ON true
       LEFT JOIN LATERAL (SELECT name, deactivated FROM users WHERE name = p.user_id LIMIT 1) named ON true`,
    [page.map((_, i) => i), page.map((row) => row.userId), page.map((row) => row.token)],
  );
  const verdicts: EvidenceVerdict[] = new Array<EvidenceVerdict>(page.length);
  for (const found of rows) verdicts[found.i] = verdictOf(page[found.i]!, found, nowMs, options.serverName);
  return verdicts;
}

/**
 * The admin token's standing in Synapse's tables, as doctor's whoami + admin lookup would find it: `invalid` when
 * no token row acts as a user or it expired, `unchecked` when that user is locked, `not_admin` when it is no admin,
 * else `valid`. The token
 * is a query parameter only.
 *
 * @example
 * ```ts
 * const session = await connectSynapseDatabase(env, connection, { readOnly: true });
 * await adminTokenInDatabase(session.client, 'syt_...'); // 'valid'
 * ```
 */
export async function adminTokenInDatabase(client: pg.ClientBase, token: string, nowMs: number = Date.now()): Promise<'valid' | 'invalid' | 'not_admin' | 'unchecked'> {
  const { rows } = await client.query<{ admin: number | null; locked: boolean; valid_until_ms: string | null }>(
    `SELECT acting.admin, acting.locked, t.valid_until_ms::text AS valid_until_ms
       FROM access_tokens t JOIN users acting ON acting.name = coalesce(t.puppets_user_id, t.user_id)
      WHERE t.token = $1`,
    [token],
  );
  const found = rows[0];
  if (found === undefined || (found.valid_until_ms !== null && Number(found.valid_until_ms) < nowMs)) return 'invalid';
  // A locked admin's whoami fails with M_USER_LOCKED, which the API path's check reports as `unchecked`.
  if (found.locked) return 'unchecked';
  return found.admin === 1 ? 'valid' : 'not_admin';
}

import type { CredentialClass } from '@matrix-reset/reset-core';
import type { AnyKysely } from '@matrix-reset/user-creds';
import { sql, type RawBuilder } from 'kysely';
import { ROW_PREFERENCES } from './doctor-bench.ts';

/*
 * Generated credentials for the doctor-database benchmark: rows written straight into a Postgres-backed Synapse's
 * `users` and `access_tokens` and into the app's tenant tables, with INSERT ... SELECT over generate_series, in a known
 * mix of classes. Row i's token is the same expression of i and a run secret in both databases (md5 of the secret and
 * i, never printed, never in SQL text: the secret is a parameter); its user is `@<prefix><i>:<server>`.
 */

/** The classes of the generated rows and their share of every 100 consecutive rows; how each is made is in {@link generateSynapseRows}. */
export const CREDENTIAL_MIX: readonly (readonly [GeneratedClass, number])[] = Object.freeze([
  ['valid', 70],
  ['unknown_token', 8],
  ['missing_user', 6],
  ['deactivated', 5],
  ['expired', 5],
  ['wrong_owner', 3],
  ['partial', 3],
]);

export type GeneratedClass = Exclude<CredentialClass, 'unchecked'>;

/**
 * Row i's slot in the mix (0-99): its residue, rotated by one per block of 100 rows. Without the rotation an evenly
 * spaced sample (every 100th row of a tenant holding every 10th i) would meet a single class per tenant.
 */
export function slotOf(i: number): number {
  return (i + Math.floor(i / 100)) % 100;
}

const SLOT_SQL = '((g.i + g.i / 100) % 100)';

/** Row i's class. */
export function classOf(i: number): GeneratedClass {
  let slot = slotOf(i);
  for (const [name, share] of CREDENTIAL_MIX) {
    if (slot < share) return name;
    slot -= share;
  }
  throw new Error(`the mix does not cover slot ${slotOf(i)}`);
}

/** The same as {@link classOf}, in SQL over `g.i`. */
function classSql(): RawBuilder<string> {
  let bound = 0;
  const arms = CREDENTIAL_MIX.map(([name, share]) => `WHEN ${SLOT_SQL} < ${(bound += share)} THEN '${name}'`);
  return sql.raw(`CASE ${arms.join(' ')} END`);
}

/** The totals doctor must find over `count` generated rows plus `minted` real (valid) ones. */
export function expectedTotals(count: number, minted: number): Record<CredentialClass, number> {
  const totals: Record<CredentialClass, number> = { valid: minted, unknown_token: 0, expired: 0, missing_user: 0, deactivated: 0, wrong_owner: 0, partial: 0, unchecked: 0 };
  for (let i = 0; i < count; i++) {
    const name = classOf(i);
    totals[name]++;
    // A wrong_owner token belongs to row i - 1's user, which must exist in Synapse.
    if (name === 'wrong_owner' && (i === 0 || classOf(i - 1) === 'missing_user')) throw new Error(`row ${i - 1} owns row ${i}'s token but has no user`);
  }
  return totals;
}

export interface GeneratedRows {
  /** Localpart prefix of every generated user (unique to the run). */
  prefix: string;
  serverName: string;
  count: number;
  /** The run secret the tokens derive from. */
  secret: string;
  /** access_tokens ids are idBase + i: far above Synapse's own (it counts up from 1). */
  idBase: bigint;
}

const rows = (g: GeneratedRows) => sql`generate_series(0, ${g.count - 1}::bigint) AS g(i)`;
const userId = (g: GeneratedRows, i: RawBuilder<unknown> = sql`g.i`) => sql`'@' || ${g.prefix}::text || ${i} || ':' || ${g.serverName}::text`;
const token = (g: GeneratedRows) => sql`'syt_bench_' || md5(${g.secret}::text || ':' || g.i) || md5(g.i || ':' || ${g.secret}::text)`;

/**
 * Writes the Synapse side into Synapse's database (as its own role): a `users` row for every row but missing_user
 * ones (deactivated = 1 for deactivated), and an `access_tokens` row for valid (its own user), expired (valid_until_ms
 * an hour ago) and wrong_owner (row i - 1's user) rows. unknown_token, deactivated and partial rows have no token
 * row; missing_user rows have neither. Then ANALYZE, as Synapse's autovacuum would after such a load.
 */
export async function generateSynapseRows(db: AnyKysely, g: GeneratedRows, nowMs: number): Promise<{ users: number; tokens: number }> {
  const classes = sql`(SELECT g.i, ${classSql()} AS class FROM ${rows(g)}) AS g`;
  const users = await sql`
    INSERT INTO users (name, creation_ts, admin, is_guest, deactivated, shadow_banned, approved, locked, suspended)
    SELECT ${userId(g)}, ${Math.floor(nowMs / 1000)}::bigint, 0, 0, CASE WHEN g.class = 'deactivated' THEN 1 ELSE 0 END, false, true, false, false
      FROM ${classes} WHERE g.class <> 'missing_user'`.execute(db);
  const tokens = await sql`
    INSERT INTO access_tokens (id, user_id, token, valid_until_ms)
    SELECT ${g.idBase.toString()}::bigint + g.i,
           CASE WHEN g.class = 'wrong_owner' THEN ${userId(g, sql`(g.i - 1)`)} ELSE ${userId(g)} END,
           ${token(g)},
           CASE WHEN g.class = 'expired' THEN ${nowMs - 3_600_000}::bigint END
      FROM ${classes} WHERE g.class IN ('valid', 'expired', 'wrong_owner')`.execute(db);
  await sql`ANALYZE users, access_tokens`.execute(db);
  return { users: Number(users.numAffectedRows ?? 0n), tokens: Number(tokens.numAffectedRows ?? 0n) };
}

/**
 * Writes the app side: row i in tenant schema i % schemas.length, naming its user and holding its token (NULL for
 * partial rows) and a device id, in key order of i.
 */
export async function generateAppRows(db: AnyKysely, schemas: readonly string[], g: GeneratedRows): Promise<number> {
  let written = 0;
  for (const [t, schema] of schemas.entries()) {
    const result = await sql`
      INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
      SELECT 'user-' || g.i, ${userId(g)}, CASE WHEN g.class = 'partial' THEN NULL ELSE ${token(g)} END, 'BENCH' || g.i, ${ROW_PREFERENCES}::jsonb
        FROM (SELECT g.i, ${classSql()} AS class FROM ${rows(g)} WHERE g.i % ${schemas.length} = ${t}) AS g
       ORDER BY g.i`.execute(db);
    written += Number(result.numAffectedRows ?? 0n);
  }
  return written;
}

/** Appends real tokens (minted through the API) to the tenant tables, spread round-robin after the generated rows. */
export async function appendMintedRows(db: AnyKysely, schemas: readonly string[], tokens: readonly string[], owners: readonly string[]): Promise<void> {
  for (const [t, schema] of schemas.entries()) {
    const picked = tokens.map((_, k) => k).filter((k) => k % schemas.length === t);
    await sql`
      INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
      SELECT 'minted-' || k, u, a, NULL, ${ROW_PREFERENCES}::jsonb
        FROM unnest(${picked}::int[], ${picked.map((k) => owners[k] as string)}::text[], ${picked.map((k) => tokens[k] as string)}::text[]) AS r(k, u, a)
       ORDER BY k`.execute(db);
  }
}

/**
 * Deletes every generated row from Synapse's database: the token rows by id, the users and what the cross-check's
 * whoami calls made Synapse record about them (`user_ips`) by the run's prefix. Returns the rows deleted per table.
 */
export async function removeSynapseRows(db: AnyKysely, g: GeneratedRows): Promise<Record<string, number>> {
  const like = `@${g.prefix}%`;
  const deleted: Record<string, number> = {};
  const tokens = await sql`DELETE FROM access_tokens WHERE id >= ${g.idBase.toString()}::bigint AND id < ${(g.idBase + BigInt(g.count)).toString()}::bigint`.execute(db);
  deleted['access_tokens'] = Number(tokens.numAffectedRows ?? 0n);
  for (const [table, column] of [['users', 'name'], ['user_ips', 'user_id']] as const) {
    const result = await sql`DELETE FROM ${sql.id(table)} WHERE ${sql.id(column)} LIKE ${like}`.execute(db);
    deleted[table] = Number(result.numAffectedRows ?? 0n);
  }
  await sql`VACUUM ANALYZE users, access_tokens`.execute(db);
  return deleted;
}

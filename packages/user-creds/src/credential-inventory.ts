import { sql } from 'kysely';
import { affectedColumns, anyPresent, checksumAggregate, liveValue, type UserCredsContext } from './affected-columns.ts';
import { discoverLayout, type Discovery } from './discover-layout.ts';

/** Counts for one schema. */
export interface SchemaInventory {
  readonly schema: string;
  readonly rows: number;
  /** Rows holding at least one credential value. */
  readonly withCredentials: number;
  /** Rows holding all of user id, token and device id (those of them the table has). */
  readonly complete: number;
  /** `withCredentials - complete`: the app will lazily re-provision these. */
  readonly partial: number;
  /** Non-NULL room references per related column (present columns only). */
  readonly roomReferences: readonly { table: string; column: string; rows: number }[];
}

/**
 * Counts, per usable schema, rows, rows with credentials, complete and partial ones, and room references.
 *
 * @example
 * ```ts
 * for (const s of await credentialInventory(ctx)) console.error(`${s.schema}: ${s.withCredentials}/${s.rows}`);
 * ```
 */
export async function credentialInventory(ctx: UserCredsContext, discovery?: Discovery): Promise<SchemaInventory[]> {
  const found = discovery ?? (await discoverLayout(ctx.db, ctx.layout, { rowCounts: 'estimate' }));
  const out: SchemaInventory[] = [];
  for (const schema of found.schemas.filter((s) => s.usable)) {
    const columns = affectedColumns(schema);
    const core = columns.filter((c) => c.kind === 'userId' || c.kind === 'accessToken' || c.kind === 'deviceId');
    const complete = core.length === 0 ? sql`false` : sql.join(core.map((c) => sql`${liveValue(c)} IS NOT NULL`), sql` AND `);
    const counts = await sql<{ rows: string; with_credentials: string; complete: string }>`
      SELECT count(*) AS rows, count(*) FILTER (WHERE ${anyPresent(columns)}) AS with_credentials,
             count(*) FILTER (WHERE ${complete}) AS complete
      FROM ${sql.id(schema.schema, schema.table)} t`.execute(ctx.db);
    const row = counts.rows[0] ?? { rows: '0', with_credentials: '0', complete: '0' };
    const roomReferences = [];
    for (const ref of schema.relatedRoomColumns.filter((r) => r.present)) {
      const n = await sql<{ n: string }>`
        SELECT count(*) AS n FROM ${sql.id(schema.schema, ref.table)} WHERE ${sql.id(ref.column)} IS NOT NULL`.execute(ctx.db);
      roomReferences.push(Object.freeze({ table: ref.table, column: ref.column, rows: Number(n.rows[0]?.n ?? 0) }));
    }
    out.push(
      Object.freeze({
        schema: schema.schema,
        rows: Number(row.rows),
        withCredentials: Number(row.with_credentials),
        complete: Number(row.complete),
        partial: Number(row.with_credentials) - Number(row.complete),
        roomReferences: Object.freeze(roomReferences),
      }),
    );
  }
  return out;
}

/**
 * The checksum of the live credential values per usable schema, in the same form as a snapshot's (count and
 * xor of row hashes over rows holding a credential): equal before a snapshot, in the snapshot, and after a full restore.
 *
 * @example
 * ```ts
 * const before = await liveChecksums(ctx);
 * ```
 */
export async function liveChecksums(ctx: UserCredsContext): Promise<Record<string, string>> {
  const discovery = await discoverLayout(ctx.db, ctx.layout, { rowCounts: 'estimate' });
  const out: Record<string, string> = {};
  for (const schema of discovery.schemas.filter((s) => s.usable)) {
    const columns = affectedColumns(schema);
    const result = await sql<{ checksum: string }>`
      SELECT ${checksumAggregate(sql`${sql.id('t', ctx.layout.keyColumn)}`, columns, (c) => liveValue(c))} AS checksum
      FROM ${sql.id(schema.schema, schema.table)} t WHERE ${anyPresent(columns)}`.execute(ctx.db);
    out[schema.schema] = result.rows[0]?.checksum ?? '0:0';
  }
  return out;
}

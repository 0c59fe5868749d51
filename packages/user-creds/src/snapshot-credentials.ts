import type { AnyKysely } from './any-kysely.ts';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import {
  affectedColumns,
  anyPresent,
  checkRunId,
  checksumAggregate,
  liveValue,
  usableSchemas,
  type AffectedColumn,
  type UserCredsContext,
} from './affected-columns.ts';
import { discoverLayout } from './discover-layout.ts';
import { UserCredsError } from './user-creds-error.ts';

/** Which users to snapshot (and then clear): by stored Matrix user id and/or by key, OR-ed. */
export interface UserSelection {
  matrixUserIds?: readonly string[];
  keys?: readonly { schema: string; key: string | number }[];
}

export interface SnapshotOptions {
  runId: string;
  /** Only these users; every row holding a credential when omitted. */
  select?: UserSelection;
}

/** One schema's snapshot, as recorded in `<ownSchema>.snapshot`. */
export interface SchemaSnapshot {
  readonly runId: string;
  readonly schema: string;
  readonly table: string;
  /** The backup table in our own schema. */
  readonly backupTable: string;
  readonly keyColumn: string;
  readonly keyType: string;
  readonly columns: readonly AffectedColumn[];
  readonly rowCount: number;
  /** `count:xor of row hashes`; equal to {@link liveChecksums} of the same rows. */
  readonly checksum: string;
  readonly createdAt: Date;
}

export interface SnapshotResult {
  readonly runId: string;
  readonly schemas: readonly (SchemaSnapshot & { readonly alreadyExisted: boolean })[];
}

interface CatalogRow {
  run_id: string;
  source_schema: string;
  source_table: string;
  backup_table: string;
  key_type: string;
  columns: { key: string; values: AffectedColumn[] };
  row_count: string;
  checksum: string;
  created_at: Date;
}

function fromCatalog(row: CatalogRow): SchemaSnapshot {
  return Object.freeze({
    runId: row.run_id,
    schema: row.source_schema,
    table: row.source_table,
    backupTable: row.backup_table,
    keyColumn: row.columns.key,
    keyType: row.key_type,
    columns: Object.freeze(row.columns.values.map((c) => Object.freeze(c))),
    rowCount: Number(row.row_count),
    checksum: row.checksum,
    createdAt: row.created_at,
  });
}

/** The backup table's name for a run and schema: short, unique, valid whatever the schema is called. */
function backupTableName(runId: string, schema: string): string {
  return `s_${runId}_${createHash('md5').update(schema).digest('hex').slice(0, 8)}`;
}

/**
 * The snapshots recorded for a run, one per schema.
 *
 * @example
 * ```ts
 * const snapshots = await listSnapshots(ctx, 'r1');
 * ```
 */
export async function listSnapshots(ctx: UserCredsContext, runId: string): Promise<SchemaSnapshot[]> {
  const rows = await sql<CatalogRow>`
    SELECT * FROM ${sql.id(ctx.ownSchema, 'snapshot')} WHERE run_id = ${checkRunId(runId)} ORDER BY source_schema`.execute(ctx.db);
  return rows.rows.map(fromCatalog);
}

/** Snapshots of a run, or `snapshot_not_found` when there are none. */
export async function requireSnapshots(ctx: UserCredsContext, runId: string, operation: string): Promise<SchemaSnapshot[]> {
  const snapshots = await listSnapshots(ctx, runId);
  if (snapshots.length === 0) {
    throw new UserCredsError({
      code: 'snapshot_not_found',
      message: `No snapshot for run ${runId} in schema ${ctx.ownSchema}: ${operation} needs one`,
      nextSteps: [`Take one first: snapshot({ runId: '${runId}' }), or pass the run id of an earlier snapshot.`],
    });
  }
  return snapshots;
}

/**
 * Gives a backup table its unique index on the key (idempotent). Snapshots are plain copies; the index is the access
 * path of batched clear and restore, built by them on first use (and it checks that keys are unique).
 */
export async function ensureBackupIndex(db: AnyKysely, ownSchema: string, snapshot: SchemaSnapshot): Promise<void> {
  await sql`CREATE UNIQUE INDEX IF NOT EXISTS ${sql.id(`${snapshot.backupTable}_k`)} ON ${sql.id(ownSchema, snapshot.backupTable)} (k)`.execute(db);
  await sql`ANALYZE ${sql.id(ownSchema, snapshot.backupTable)}`.execute(db);
}

/**
 * Builds backup indexes one schema ahead: asking for schema `i` waits for its index and starts building the next
 * one, on another pooled connection, while schema `i` is being worked on (the build touches only our own table).
 */
export function backupIndexesAhead(ctx: { db: AnyKysely; ownSchema: string }, snapshots: readonly SchemaSnapshot[]): (i: number) => Promise<void> {
  const started = new Map<number, Promise<void>>();
  const start = (i: number) => {
    const snapshot = snapshots[i];
    if (snapshot === undefined || started.has(i)) return;
    const building = ensureBackupIndex(ctx.db, ctx.ownSchema, snapshot);
    building.catch(() => undefined); // awaited (and reported) when its schema's turn comes
    started.set(i, building);
  };
  return (i: number) => {
    start(i);
    start(i + 1);
    return started.get(i) ?? Promise.resolve();
  };
}

/** Recomputes a backup table's checksum. */
export async function backupChecksum(db: AnyKysely, ownSchema: string, snapshot: SchemaSnapshot): Promise<string> {
  const result = await sql<{ checksum: string }>`
    SELECT ${checksumAggregate(sql`s.k`, snapshot.columns, (c) => sql`${sql.id('s', c.alias)}`)} AS checksum
    FROM ${sql.id(ownSchema, snapshot.backupTable)} s`.execute(db);
  return result.rows[0]?.checksum ?? '0:0';
}

function selectionFilter(schema: string, keyColumn: string, userIdColumn: AffectedColumn | undefined, select: UserSelection) {
  const parts = [];
  const keys = (select.keys ?? []).filter((k) => k.schema === schema).map((k) => String(k.key));
  if (keys.length > 0) parts.push(sql`${sql.id('t', keyColumn)}::text = ANY(${keys}::text[])`);
  if (userIdColumn !== undefined && (select.matrixUserIds ?? []).length > 0) {
    parts.push(sql`${sql.id('t', userIdColumn.column)} = ANY(${[...(select.matrixUserIds ?? [])]}::text[])`);
  }
  return parts.length === 0 ? sql`false` : sql`(${sql.join(parts, sql` OR `)})`;
}

/**
 * Copies the affected columns of every row holding a credential (or of the selected users), with their keys, into
 * one backup table per schema in our own schema (`CREATE TABLE ... AS SELECT`), and records row count and checksum
 * under `runId`. One transaction per schema; a schema already snapshotted for this run is kept as it is
 * (idempotent). Clear and restore add the key index on first use.
 *
 * @example
 * ```ts
 * const { schemas } = await snapshotCredentials(ctx, { runId: 'r1' });
 * for (const s of schemas) console.error(s.schema, s.rowCount, s.checksum);
 * ```
 */
export async function snapshotCredentials(ctx: UserCredsContext, options: SnapshotOptions): Promise<SnapshotResult> {
  const runId = checkRunId(options.runId);
  const discovery = await discoverLayout(ctx.db, ctx.layout, { rowCounts: 'estimate' });
  const out: (SchemaSnapshot & { alreadyExisted: boolean })[] = [];
  for (const schema of usableSchemas(discovery.schemas, ctx.layout)) {
    const snapshot = await ctx.db.transaction().execute(async (trx) => {
      const existing = await sql<CatalogRow>`
        SELECT * FROM ${sql.id(ctx.ownSchema, 'snapshot')}
        WHERE run_id = ${runId} AND source_schema = ${schema.schema} FOR UPDATE`.execute(trx);
      if (existing.rows[0] !== undefined) return { ...fromCatalog(existing.rows[0]), alreadyExisted: true };
      const columns = affectedColumns(schema);
      const keyColumn = ctx.layout.keyColumn;
      const backupTable = backupTableName(runId, schema.schema);
      const filter = options.select === undefined ? sql`true` : selectionFilter(schema.schema, keyColumn, columns.find((c) => c.kind === 'userId'), options.select);
      await sql`
        CREATE TABLE ${sql.id(ctx.ownSchema, backupTable)} AS
        SELECT ${sql.id('t', keyColumn)} AS k, ${sql.join(columns.map((c) => sql`${liveValue(c)} AS ${sql.id(c.alias)}`), sql`, `)}
        FROM ${sql.id(schema.schema, schema.table)} t
        WHERE ${anyPresent(columns)} AND ${filter}`.execute(trx);
      const partial: SchemaSnapshot = {
        runId,
        schema: schema.schema,
        table: schema.table,
        backupTable,
        keyColumn,
        keyType: schema.key.type ?? 'text',
        columns,
        rowCount: 0,
        checksum: '',
        createdAt: new Date(),
      };
      const checksum = await backupChecksum(trx, ctx.ownSchema, partial);
      const rowCount = Number(checksum.split(':')[0]);
      const inserted = await sql<CatalogRow>`
        INSERT INTO ${sql.id(ctx.ownSchema, 'snapshot')}
          (run_id, source_schema, source_table, backup_table, key_type, columns, row_count, checksum)
        VALUES (${runId}, ${schema.schema}, ${schema.table}, ${backupTable}, ${partial.keyType},
          ${JSON.stringify({ key: keyColumn, values: columns })}::jsonb, ${rowCount}, ${checksum})
        RETURNING *`.execute(trx);
      return { ...fromCatalog(inserted.rows[0] as CatalogRow), alreadyExisted: false };
    });
    out.push(Object.freeze(snapshot));
  }
  return Object.freeze({ runId, schemas: Object.freeze(out) });
}

/**
 * Drops a run's backup tables and its records (snapshot and clear progress). Irreversible: the only copy of the
 * cleared credentials goes with it.
 *
 * @example
 * ```ts
 * await dropSnapshot(ctx, 'r1');
 * ```
 */
export async function dropSnapshot(ctx: UserCredsContext, runId: string): Promise<number> {
  const snapshots = await listSnapshots(ctx, runId);
  await ctx.db.transaction().execute(async (trx) => {
    for (const s of snapshots) await sql`DROP TABLE IF EXISTS ${sql.id(ctx.ownSchema, s.backupTable)}`.execute(trx);
    await sql`DELETE FROM ${sql.id(ctx.ownSchema, 'clear_progress')} WHERE run_id = ${runId}`.execute(trx);
    await sql`DELETE FROM ${sql.id(ctx.ownSchema, 'snapshot')} WHERE run_id = ${runId}`.execute(trx);
  });
  return snapshots.length;
}

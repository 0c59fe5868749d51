import { sql } from 'kysely';
import { clearAssignments, checkRunId, unchangedSince, type UserCredsContext } from './affected-columns.ts';
import { batchSettings, checkSignal, inBatchTransaction, type BatchOptions } from './batch-transaction.ts';
import { backupIndexesAhead, requireSnapshots, snapshotCredentials, type SchemaSnapshot, type UserSelection } from './snapshot-credentials.ts';

/** Reported after every committed batch. */
export interface ClearProgress {
  readonly runId: string;
  readonly schema: string;
  /** 1-based, counting batches of earlier, interrupted attempts of the same run. */
  readonly batch: number;
  readonly rowsInBatch: number;
  readonly cleared: number;
  /** Rows of the batch left alone because they changed since the snapshot (or were deleted). */
  readonly kept: number;
  readonly totalCleared: number;
  readonly durationMs: number;
}

export interface ClearOptions extends BatchOptions {
  /** The run whose snapshot says what to clear. */
  runId: string;
  /** Awaited after each committed batch; a throw stops the clear (the batch stays done). */
  onProgress?: (progress: ClearProgress) => void | Promise<void>;
}

export interface SchemaClearResult {
  readonly schema: string;
  readonly cleared: number;
  readonly kept: number;
  readonly batches: number;
  /** Batches already finished by an earlier attempt of this run. */
  readonly resumedAfterBatch: number;
  /** Longest batch transaction of this attempt, in ms. */
  readonly longestBatchMs: number;
}

export interface ClearResult {
  readonly runId: string;
  readonly schemas: readonly SchemaClearResult[];
  readonly totalCleared: number;
  readonly totalKept: number;
  readonly longestBatchMs: number;
}

interface ProgressRow {
  last_key: string | null;
  batches_done: number;
  rows_cleared: string;
  rows_kept: string;
  finished: boolean;
}

async function clearSchema(ctx: UserCredsContext, snapshot: SchemaSnapshot, options: ClearOptions, indexReady: Promise<void>): Promise<SchemaClearResult> {
  const settings = batchSettings(options);
  const progressTable = sql.id(ctx.ownSchema, 'clear_progress');
  await sql`
    INSERT INTO ${progressTable} (run_id, source_schema) VALUES (${snapshot.runId}, ${snapshot.schema})
    ON CONFLICT DO NOTHING`.execute(ctx.db);
  const start = (
    await sql<ProgressRow>`
      SELECT * FROM ${progressTable} WHERE run_id = ${snapshot.runId} AND source_schema = ${snapshot.schema}`.execute(ctx.db)
  ).rows[0] as ProgressRow;
  let lastKey = start.last_key;
  let batch = start.batches_done;
  let cleared = Number(start.rows_cleared);
  let kept = Number(start.rows_kept);
  let longestBatchMs = 0;
  let finished = start.finished;
  await indexReady;
  const backup = sql.id(ctx.ownSchema, snapshot.backupTable);
  const keyType = sql.raw(snapshot.keyType);
  const key = sql.id('t', snapshot.keyColumn);
  while (!finished) {
    checkSignal(options.signal, 'clear', snapshot.runId);
    const { result, durationMs } = await inBatchTransaction(ctx.db, settings, { schema: snapshot.schema, operation: 'clear' }, async (trx) => {
      // The batch is a key range [after lastKey, upper]: found on the backup's key index, then one UPDATE joining the
      // two key-range index scans (a merge join), no materialised batch.
      const lower = (column: ReturnType<typeof sql.id>) => (lastKey === null ? sql`true` : sql`${column} > CAST(${lastKey} AS ${keyType})`);
      const bounds = await sql<{ upper: string | null; seen: string }>`
        SELECT max(k)::text AS upper, count(*) AS seen
        FROM (SELECT s.k FROM ${backup} s WHERE ${lower(sql.id('s', 'k'))} ORDER BY s.k LIMIT ${settings.batchSize}) b`.execute(trx);
      const seen = Number(bounds.rows[0]?.seen ?? 0);
      const upper = bounds.rows[0]?.upper ?? null;
      let batchCleared = 0;
      if (upper !== null) {
        const updated = await sql`
          UPDATE ${sql.id(snapshot.schema, snapshot.table)} AS t SET ${clearAssignments(snapshot.columns)}
          FROM ${backup} s
          WHERE ${key} = s.k
            AND ${lower(sql.id('s', 'k'))} AND s.k <= CAST(${upper} AS ${keyType})
            AND ${lower(key)} AND ${key} <= CAST(${upper} AS ${keyType})
            AND ${unchangedSince(snapshot.columns)}`.execute(trx);
        batchCleared = Number(updated.numAffectedRows ?? 0n);
      }
      const isLast = seen < settings.batchSize;
      await sql`
        UPDATE ${progressTable}
        SET last_key = coalesce(${upper}, last_key), batches_done = batches_done + ${seen > 0 ? 1 : 0},
            rows_cleared = rows_cleared + ${batchCleared}, rows_kept = rows_kept + ${seen - batchCleared},
            finished = ${isLast}, updated_at = now()
        WHERE run_id = ${snapshot.runId} AND source_schema = ${snapshot.schema}`.execute(trx);
      return { lastKey: upper, seen, batchCleared, isLast };
    });
    finished = result.isLast;
    if (result.seen === 0) break;
    lastKey = result.lastKey;
    batch++;
    cleared += result.batchCleared;
    kept += result.seen - result.batchCleared;
    longestBatchMs = Math.max(longestBatchMs, durationMs);
    await options.onProgress?.(
      Object.freeze({
        runId: snapshot.runId,
        schema: snapshot.schema,
        batch,
        rowsInBatch: result.seen,
        cleared: result.batchCleared,
        kept: result.seen - result.batchCleared,
        totalCleared: cleared,
        durationMs,
      }),
    );
  }
  return Object.freeze({ schema: snapshot.schema, cleared, kept, batches: batch, resumedAfterBatch: start.batches_done, longestBatchMs });
}

/**
 * Clears, in short batches, exactly the credentials a run's snapshot recorded: a row is cleared only while it still
 * holds the snapshotted values, so anything written since (the app re-provisioning a user) is kept. Each batch is
 * one transaction with `SET LOCAL lock_timeout` that also records progress in our schema: after an interruption,
 * calling again with the same `runId` continues after the last finished batch.
 *
 * @example
 * ```ts
 * await snapshotCredentials(ctx, { runId: 'r1' });
 * const result = await clearCredentials(ctx, { runId: 'r1', batchSize: 5000, onProgress: (p) => console.error(p.totalCleared) });
 * ```
 */
export async function clearCredentials(ctx: UserCredsContext, options: ClearOptions): Promise<ClearResult> {
  const runId = checkRunId(options.runId);
  const snapshots = await requireSnapshots(ctx, runId, 'clear');
  const schemas: SchemaClearResult[] = [];
  const indexes = backupIndexesAhead(ctx, snapshots);
  for (const [i, snapshot] of snapshots.entries()) schemas.push(await clearSchema(ctx, snapshot, options, indexes(i)));
  return Object.freeze({
    runId,
    schemas: Object.freeze(schemas),
    totalCleared: schemas.reduce((n, s) => n + s.cleared, 0),
    totalKept: schemas.reduce((n, s) => n + s.kept, 0),
    longestBatchMs: Math.max(0, ...schemas.map((s) => s.longestBatchMs)),
  });
}

/**
 * Clears a chosen set of users: snapshots just them under `runId`, then clears that snapshot in batches.
 *
 * @example
 * ```ts
 * await clearUsers(ctx, { runId: 'r2', select: { matrixUserIds: ['@alice_acme:example.org'] } });
 * ```
 */
export async function clearUsers(ctx: UserCredsContext, options: ClearOptions & { select: UserSelection }): Promise<ClearResult> {
  await snapshotCredentials(ctx, { runId: options.runId, select: options.select });
  return clearCredentials(ctx, options);
}

import { sql } from 'kysely';
import { allCleared, checkRunId, restoreAssignments, type UserCredsContext } from './affected-columns.ts';
import { batchSettings, checkSignal, inBatchTransaction, type BatchOptions } from './batch-transaction.ts';
import { backupChecksum, backupIndexesAhead, requireSnapshots, type SchemaSnapshot } from './snapshot-credentials.ts';
import { UserCredsError } from './user-creds-error.ts';

export interface RestoreOptions extends BatchOptions {
  runId: string;
  /** Awaited after each committed batch. */
  onProgress?: (progress: { schema: string; batch: number; restored: number; skipped: number; durationMs: number }) => void | Promise<void>;
}

export interface SchemaRestoreResult {
  readonly schema: string;
  readonly inSnapshot: number;
  readonly restored: number;
  /** Snapshot rows left alone: the row holds something again (written after the clear), or is gone. */
  readonly skipped: number;
}

export interface RestoreResult {
  readonly runId: string;
  readonly schemas: readonly SchemaRestoreResult[];
  readonly totalRestored: number;
  readonly totalSkipped: number;
}

async function restoreSchema(ctx: UserCredsContext, snapshot: SchemaSnapshot, options: RestoreOptions, indexReady: Promise<void>): Promise<SchemaRestoreResult> {
  const settings = batchSettings(options);
  const backup = sql.id(ctx.ownSchema, snapshot.backupTable);
  const keyType = sql.raw(snapshot.keyType);
  const key = sql.id('t', snapshot.keyColumn);
  await indexReady;
  let lastKey: string | null = null;
  let restored = 0;
  let skipped = 0;
  for (let batch = 1; ; batch++) {
    checkSignal(options.signal, 'restore', snapshot.runId);
    const { result, durationMs } = await inBatchTransaction(ctx.db, settings, { schema: snapshot.schema, operation: 'restore' }, async (trx) => {
      const lower = (column: ReturnType<typeof sql.id>) => (lastKey === null ? sql`true` : sql`${column} > CAST(${lastKey} AS ${keyType})`);
      const bounds = await sql<{ upper: string | null; seen: string }>`
        SELECT max(k)::text AS upper, count(*) AS seen
        FROM (SELECT s.k FROM ${backup} s WHERE ${lower(sql.id('s', 'k'))} ORDER BY s.k LIMIT ${settings.batchSize}) b`.execute(trx);
      const upper = bounds.rows[0]?.upper ?? null;
      if (upper === null) return { lastKey: upper, seen: 0, restored: 0 };
      const updated = await sql`
        UPDATE ${sql.id(snapshot.schema, snapshot.table)} AS t SET ${restoreAssignments(snapshot.columns)}
        FROM ${backup} s
        WHERE ${key} = s.k
          AND ${lower(sql.id('s', 'k'))} AND s.k <= CAST(${upper} AS ${keyType})
          AND ${lower(key)} AND ${key} <= CAST(${upper} AS ${keyType})
          AND ${allCleared(snapshot.columns)}`.execute(trx);
      return { lastKey: upper, seen: Number(bounds.rows[0]?.seen ?? 0), restored: Number(updated.numAffectedRows ?? 0n) };
    });
    if (result.seen === 0) break;
    lastKey = result.lastKey;
    restored += result.restored;
    skipped += result.seen - result.restored;
    await options.onProgress?.({ schema: snapshot.schema, batch, restored: result.restored, skipped: result.seen - result.restored, durationMs });
    if (result.seen < settings.batchSize) break;
  }
  // A later clear of the same run must start again from the beginning.
  await sql`DELETE FROM ${sql.id(ctx.ownSchema, 'clear_progress')} WHERE run_id = ${snapshot.runId} AND source_schema = ${snapshot.schema}`.execute(ctx.db);
  return Object.freeze({ schema: snapshot.schema, inSnapshot: snapshot.rowCount, restored, skipped });
}

/**
 * Puts a run's snapshot back, in batches, after checking the backup's checksum. A row is restored only while it is
 * still in the cleared state (every affected column NULL, jsonb keys absent): credentials written after the clear
 * are never overwritten, they are counted as `skipped`.
 *
 * @example
 * ```ts
 * const { totalRestored, totalSkipped } = await restoreSnapshot(ctx, { runId: 'r1' });
 * ```
 */
export async function restoreSnapshot(ctx: UserCredsContext, options: RestoreOptions): Promise<RestoreResult> {
  const runId = checkRunId(options.runId);
  const snapshots = await requireSnapshots(ctx, runId, 'restore');
  for (const snapshot of snapshots) {
    const actual = await backupChecksum(ctx.db, ctx.ownSchema, snapshot);
    if (actual !== snapshot.checksum) {
      throw new UserCredsError({
        code: 'snapshot_checksum_mismatch',
        schema: snapshot.schema,
        message: `Backup table ${ctx.ownSchema}.${snapshot.backupTable} of run ${runId} (schema ${snapshot.schema}) no longer matches its checksum (recorded ${snapshot.checksum}, now ${actual})`,
        nextSteps: ['Something modified the backup table after the snapshot; nothing was restored. Inspect it before restoring by hand.'],
      });
    }
  }
  const schemas: SchemaRestoreResult[] = [];
  const indexes = backupIndexesAhead(ctx, snapshots);
  for (const [i, snapshot] of snapshots.entries()) schemas.push(await restoreSchema(ctx, snapshot, options, indexes(i)));
  return Object.freeze({
    runId,
    schemas: Object.freeze(schemas),
    totalRestored: schemas.reduce((n, s) => n + s.restored, 0),
    totalSkipped: schemas.reduce((n, s) => n + s.skipped, 0),
  });
}

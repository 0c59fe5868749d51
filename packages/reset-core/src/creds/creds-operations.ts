import {
  createUserCreds,
  type AnyKysely,
  type ClearProgress,
  type ClearResult,
  type RestoreResult,
  type SchemaInventory,
  type SnapshotResult,
} from '@matrix-reset/user-creds';
import type { AppDatabaseConnection } from '../connection/connect-environment.ts';
import type { ProgressListener } from '../progress.ts';
import { newRunId } from '../support/ids.ts';

/** Asked after looking and before writing (never in a dry run); throws when the operator declines. */
export type ConfirmDestructive = (request: { environment: string; summary: string }) => Promise<void>;

/** What the credential operations work through: {@link connectAppDatabase} or a whole `EnvironmentConnection`. */
export type CredsConnection = Pick<AppDatabaseConnection, 'environment' | 'db'>;

function credsOf(connection: CredsConnection): ReturnType<typeof createUserCreds> {
  return createUserCreds({ db: connection.db as AnyKysely, layout: connection.environment.appDatabase.layout });
}

/**
 * Counts the app's stored Matrix credentials per schema (rows, with credentials, complete, partial, room references).
 *
 * @example
 * const { schemas } = await credsInventory(await connectAppDatabase(resolveEnvironment(await loadResetConfig(), 'dev')));
 */
export async function credsInventory(connection: CredsConnection): Promise<{ environment: string; schemas: SchemaInventory[] }> {
  return { environment: connection.environment.name, schemas: await credsOf(connection).inventory() };
}

/**
 * Snapshots the credential columns (with their keys) into matrix-reset's own schema under a run id, with row counts
 * and checksums. Idempotent per run id.
 *
 * @example
 * const { runId } = await credsSnapshot(connection);
 */
export async function credsSnapshot(connection: CredsConnection, options: { runId?: string; onProgress?: ProgressListener } = {}): Promise<SnapshotResult & { environment: string }> {
  const runId = options.runId ?? newRunId();
  options.onProgress?.({ type: 'message', message: `snapshotting credentials of ${connection.environment.name} as run ${runId}` });
  const result = await credsOf(connection).snapshot({ runId });
  return { ...result, environment: connection.environment.name };
}

export interface CredsClearOptions {
  /** The run: its snapshot is taken first when it has none (a new run id when omitted); reuse it to resume. */
  runId?: string;
  batchSize?: number;
  dryRun?: boolean;
  confirm?: ConfirmDestructive;
  /** A count event per committed batch (rows of the whole clear or restore), and a few messages. */
  onProgress?: ProgressListener;
}

/**
 * Clears the stored credentials (and the layout's extra columns) in short batches, against a snapshot so that it can
 * be restored, resumable from the last finished batch. A dry run reports what would be cleared and writes nothing.
 *
 * @example
 * const askOperator: ConfirmDestructive = async ({ summary }) => console.error(`about to ${summary}`);
 * await credsClear(connection, { confirm: askOperator, onProgress: (e) => process.stderr.write(`${describeProgress(e)}\n`) });
 */
export async function credsClear(connection: CredsConnection, options: CredsClearOptions = {}): Promise<ClearResult & { environment: string; dryRun: boolean }> {
  const creds = credsOf(connection);
  const inventory = await creds.inventory();
  const wouldClear = inventory.reduce((n, s) => n + s.withCredentials, 0);
  if (options.dryRun) {
    // What a clear would do, in the shape of its result: every row holding a credential, nothing kept or written.
    return {
      environment: connection.environment.name,
      dryRun: true,
      runId: options.runId ?? '(new run)',
      schemas: inventory.map((s) => ({ schema: s.schema, cleared: s.withCredentials, kept: 0, batches: 0, resumedAfterBatch: 0, longestBatchMs: 0 })),
      totalCleared: wouldClear,
      totalKept: 0,
      longestBatchMs: 0,
    };
  }
  await options.confirm?.({
    environment: connection.environment.name,
    summary: `clear the Matrix credentials of ${wouldClear} rows in ${inventory.length} schemas (a snapshot is kept)`,
  });
  // Never a clear without a backup: a run id with no snapshot yet (or none given) gets its snapshot first; an
  // existing one is reused, which is how an interrupted clear resumes.
  const runId = options.runId ?? newRunId();
  if ((await creds.listSnapshots(runId)).length === 0) {
    options.onProgress?.({ type: 'message', message: `snapshot ${runId} first, so the clear can be restored` });
    await creds.snapshot({ runId });
  }
  const result = await creds.clear({
    runId,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    onProgress: (p: ClearProgress) => options.onProgress?.({ type: 'count', stepId: undefined, task: 'clear', done: p.totalCleared, total: Math.max(wouldClear, p.totalCleared), unit: 'rows' }),
  });
  return { ...result, environment: connection.environment.name, dryRun: false };
}

export interface CredsRestoreOptions {
  runId: string;
  batchSize?: number;
  dryRun?: boolean;
  confirm?: ConfirmDestructive;
  /** A count event per committed batch (rows of the whole clear or restore), and a few messages. */
  onProgress?: ProgressListener;
}

/**
 * Restores credentials from a run's snapshot into rows that are still cleared; anything written since the clear is
 * left alone. A dry run says how many rows the snapshot holds and writes nothing.
 *
 * @example
 * await credsRestore(connection, { runId: 'r20261126t120000_3fa9c2d1', confirm: async ({ summary }) => console.error(`about to ${summary}`) });
 */
export async function credsRestore(connection: CredsConnection, options: CredsRestoreOptions): Promise<RestoreResult & { environment: string; dryRun: boolean }> {
  const creds = credsOf(connection);
  const snapshots = await creds.listSnapshots(options.runId);
  const inSnapshot = snapshots.reduce((n, s) => n + s.rowCount, 0);
  if (options.dryRun) {
    // At most every snapshot row; rows written since the clear would be skipped by the real restore.
    return {
      environment: connection.environment.name,
      dryRun: true,
      runId: options.runId,
      schemas: snapshots.map((s) => ({ schema: s.schema, inSnapshot: s.rowCount, restored: s.rowCount, skipped: 0 })),
      totalRestored: inSnapshot,
      totalSkipped: 0,
    };
  }
  await options.confirm?.({
    environment: connection.environment.name,
    summary: `restore up to ${inSnapshot} rows of Matrix credentials from run ${options.runId} (rows written since the clear are kept)`,
  });
  let seen = 0;
  const result = await creds.restore({
    runId: options.runId,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    onProgress: (p) => {
      // Per batch: rows looked at so far (restored or kept), of the snapshot's rows.
      seen += p.restored + p.skipped;
      options.onProgress?.({ type: 'count', stepId: undefined, task: 'restore', done: seen, total: Math.max(inSnapshot, seen), unit: 'rows' });
    },
  });
  return { ...result, environment: connection.environment.name, dryRun: false };
}

import { openSecretStore } from '@matrix-reset/secrets';
import {
  createUserCreds,
  newRunId,
  type AnyKysely,
  type ClearProgress,
  type ClearResult,
  type RestoreResult,
  type SchemaInventory,
  type SnapshotResult,
} from '@matrix-reset/user-creds';
import { openAppDatabase } from './observe-connection.ts';
import type { EnvironmentConfig } from './reset-config.ts';

/** Asked after looking and before writing (never in a dry run); throws when the operator declines. */
export type ConfirmDestructive = (request: { environment: string; summary: string }) => Promise<void>;

export interface CredsTarget {
  environment: EnvironmentConfig;
  /** For `env:` references (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

async function withCreds<T>(target: CredsTarget, fn: (creds: ReturnType<typeof createUserCreds>, db: AnyKysely) => Promise<T>): Promise<T> {
  const db = await openAppDatabase(target.environment, (reference) => openSecretStore(reference, target.env ? { env: target.env } : {}));
  try {
    return await fn(createUserCreds({ db, layout: target.environment.appDatabase.layout }), db);
  } finally {
    await db.destroy();
  }
}

/**
 * Counts the app's stored Matrix credentials per schema (rows, with credentials, complete, partial, room references).
 *
 * @example
 * const { schemas } = await credsInventory({ environment: resolveEnvironment(await loadResetConfig(), 'dev') });
 */
export async function credsInventory(target: CredsTarget): Promise<{ environment: string; schemas: SchemaInventory[] }> {
  return withCreds(target, async (creds) => ({ environment: target.environment.name, schemas: await creds.inventory() }));
}

/**
 * Snapshots the credential columns (with their keys) into matrix-reset's own schema under a run id, with row counts
 * and checksums. Idempotent per run id.
 *
 * @example
 * const { runId } = await credsSnapshot({ environment });
 */
export async function credsSnapshot(
  target: CredsTarget & { runId?: string; onProgress?: (message: string) => void },
): Promise<SnapshotResult & { environment: string }> {
  return withCreds(target, async (creds) => {
    const runId = target.runId ?? newRunId();
    target.onProgress?.(`snapshotting credentials of ${target.environment.name} as run ${runId}`);
    const result = await creds.snapshot({ runId });
    return { ...result, environment: target.environment.name };
  });
}

export interface CredsClearOptions extends CredsTarget {
  /** The run: its snapshot is taken first when it has none (a new run id when omitted); reuse it to resume. */
  runId?: string;
  batchSize?: number;
  dryRun?: boolean;
  confirm?: ConfirmDestructive;
  onProgress?: (message: string) => void;
}

/**
 * Clears the stored credentials (and the layout's extra columns) in short batches, against a snapshot so that it can
 * be restored, resumable from the last finished batch. A dry run reports what would be cleared and writes nothing.
 *
 * @example
 * await credsClear({ environment, confirm: askOperator, onProgress: (m) => process.stderr.write(`${m}\n`) });
 */
export async function credsClear(options: CredsClearOptions): Promise<ClearResult & { environment: string; dryRun: boolean }> {
  return withCreds(options, async (creds) => {
    const inventory = await creds.inventory();
    const wouldClear = inventory.reduce((n, s) => n + s.withCredentials, 0);
    if (options.dryRun) {
      // What a clear would do, in the shape of its result: every row holding a credential, nothing kept or written.
      return {
        environment: options.environment.name,
        dryRun: true,
        runId: options.runId ?? '(new run)',
        schemas: inventory.map((s) => ({ schema: s.schema, cleared: s.withCredentials, kept: 0, batches: 0, resumedAfterBatch: 0, longestBatchMs: 0 })),
        totalCleared: wouldClear,
        totalKept: 0,
        longestBatchMs: 0,
      };
    }
    await options.confirm?.({
      environment: options.environment.name,
      summary: `clear the Matrix credentials of ${wouldClear} rows in ${inventory.length} schemas (a snapshot is kept)`,
    });
    // Never a clear without a backup: a run id with no snapshot yet (or none given) gets its snapshot first; an
    // existing one is reused, which is how an interrupted clear resumes.
    const runId = options.runId ?? newRunId();
    if ((await creds.listSnapshots(runId)).length === 0) {
      options.onProgress?.(`snapshot ${runId} first, so the clear can be restored`);
      await creds.snapshot({ runId });
    }
    const result = await creds.clear({
      runId,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      onProgress: (p: ClearProgress) => options.onProgress?.(`${p.schema}: batch ${p.batch}, ${p.cleared} cleared`),
    });
    return { ...result, environment: options.environment.name, dryRun: false };
  });
}

export interface CredsRestoreOptions extends CredsTarget {
  runId: string;
  batchSize?: number;
  dryRun?: boolean;
  confirm?: ConfirmDestructive;
  onProgress?: (message: string) => void;
}

/**
 * Restores credentials from a run's snapshot into rows that are still cleared; anything written since the clear is
 * left alone. A dry run says how many rows the snapshot holds and writes nothing.
 *
 * @example
 * await credsRestore({ environment, runId: 'r20261126t120000_3fa9', confirm: askOperator });
 */
export async function credsRestore(options: CredsRestoreOptions): Promise<RestoreResult & { environment: string; dryRun: boolean }> {
  return withCreds(options, async (creds) => {
    const snapshots = await creds.listSnapshots(options.runId);
    const inSnapshot = snapshots.reduce((n, s) => n + s.rowCount, 0);
    if (options.dryRun) {
      // At most every snapshot row; rows written since the clear would be skipped by the real restore.
      return {
        environment: options.environment.name,
        dryRun: true,
        runId: options.runId,
        schemas: snapshots.map((s) => ({ schema: s.schema, inSnapshot: s.rowCount, restored: s.rowCount, skipped: 0 })),
        totalRestored: inSnapshot,
        totalSkipped: 0,
      };
    }
    await options.confirm?.({
      environment: options.environment.name,
      summary: `restore up to ${inSnapshot} rows of Matrix credentials from run ${options.runId} (rows written since the clear are kept)`,
    });
    const result = await creds.restore({
      runId: options.runId,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      onProgress: (p) => options.onProgress?.(`${p.schema}: batch ${p.batch}, ${p.restored} restored`),
    });
    return { ...result, environment: options.environment.name, dryRun: false };
  });
}

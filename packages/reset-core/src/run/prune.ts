import { rm, stat } from 'node:fs/promises';
import { createUserCreds, DEFAULT_OWN_SCHEMA } from '@matrix-reset/user-creds';
import type { SynapseDatabaseConnection } from '../connection/connect-synapse-database.ts';
import { openJournal, type JournalRun } from '../journal/run-journal.ts';
import { openRollbackJournal } from '../journal/rollback-journal.ts';
import { ResetError } from '../reset-error.ts';
import type { RunConnection } from '../steps/step-definition.ts';
import { dumpFileOf } from '../steps/dump-synapse-database.ts';
import { synapseDatabaseServer } from '../steps/synapse-database-target.ts';
import { backupDatabaseName, describeDatabase, dropDatabase } from '../synapse-database/database-swap.ts';
import type { ConfirmRollback } from './rollback.ts';

/** What `pruneBackups` drops of one run: the Synapse database it moved aside, and the app rows it copied. */
export interface PrunedRun {
  readonly runId: string;
  readonly createdAt: Date;
  readonly state: string;
  /** `<database>__mr_<run id>`, when the run moved Synapse's database aside and the backup is still there. */
  readonly databaseBackup: { readonly name: string; readonly sizeBytes: number } | undefined;
  /** `<dumpDirectory>/<database>__mr_<run id>.dump`, when the run dumped Synapse's database and the file is still there. */
  readonly databaseDump: { readonly file: string; readonly bytes: number } | undefined;
  /** Credential snapshot tables (one per app schema), with their rows. */
  readonly credentialSnapshots: readonly { readonly schema: string; readonly rows: number }[];
}

export interface PruneResult {
  readonly environment: string;
  /** Runs older than the age whose backups are (or, in a dry run, would be) dropped. */
  readonly pruned: readonly PrunedRun[];
  /** Runs older than the age left alone because they are still running or being rolled back. */
  readonly skipped: readonly { readonly runId: string; readonly reason: string }[];
  readonly dryRun: boolean;
}

export interface PruneOptions {
  /** Runs started longer ago than this (ms) lose their backups. */
  readonly olderThanMs: number;
  /** Say what would go; drop nothing. */
  readonly dryRun?: boolean;
  /** Required unless `dryRun`: dropping backups ends the rollbacks that need them. Throws to decline. */
  readonly confirm?: ConfirmRollback;
  readonly now?: () => number;
}

/** Every run of the environment, newest first, a page at a time. */
async function* allRuns(journal: Awaited<ReturnType<typeof openJournal>>, environment: string): AsyncGenerator<JournalRun> {
  let cursor: string | undefined;
  do {
    const page = await journal.listRunPage({ environment, limit: 200, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.runs;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** The database a run's plan moved aside, when it has a backup-synapse-database step. */
function movedDatabase(plan: Awaited<ReturnType<Awaited<ReturnType<typeof openJournal>>['runPlan']>>): string | undefined {
  const step = plan.steps.find((s) => s.kind === 'backup-synapse-database');
  const database = step?.observed['database'];
  return typeof database === 'string' && database !== '' ? database : undefined;
}

/** The file a run's plan dumped Synapse's database into, when it has a dump-synapse-database step, and its size. */
async function dumpedFile(plan: Awaited<ReturnType<Awaited<ReturnType<typeof openJournal>>['runPlan']>>, runId: string): Promise<PrunedRun['databaseDump']> {
  const step = plan.steps.find((s) => s.kind === 'dump-synapse-database');
  const { database, directory } = step?.observed ?? {};
  if (typeof database !== 'string' || typeof directory !== 'string') return undefined;
  const file = dumpFileOf(directory, database, runId);
  const found = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return found === undefined ? undefined : Object.freeze({ file, bytes: found.size });
}

/**
 * Drops the backups of runs older than `olderThanMs`: the Synapse database a Postgres reset moved aside
 * (`<database>__mr_<run id>`) or the file it dumped it into, and the credential snapshots of the app's rows. A run still running, or being rolled
 * back, keeps its backups. Afterwards those runs cannot be rolled back where a rollback needs what was dropped: the
 * confirmation says so. Secret-target backups (versioned by their stores) and VolumeSnapshots are not touched.
 *
 * @example
 * ```ts
 * const preview = await pruneBackups(connection, { olderThanMs: 30 * 24 * 3600_000, dryRun: true });
 * const done = await pruneBackups(connection, { olderThanMs: 30 * 24 * 3600_000, confirm: async ({ summary }) => console.error(summary) });
 * console.error(`${done.pruned.length} runs pruned`);
 * ```
 */
export async function pruneBackups(connection: RunConnection, options: PruneOptions): Promise<PruneResult> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) throw new RangeError('olderThanMs must be a number of milliseconds, at least 0');
  const environment = connection.environment.name;
  const cutoff = (options.now ?? Date.now)() - options.olderThanMs;
  const journal = await openJournal(connection.db);
  const rollbacks = await openRollbackJournal(connection.db);
  const creds = createUserCreds({ db: connection.db, layout: connection.environment.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA });

  let server: SynapseDatabaseConnection | undefined;
  const serverFor = async () => (server ??= await synapseDatabaseServer(connection));
  try {
    const pruned: PrunedRun[] = [];
    const skipped: { runId: string; reason: string }[] = [];
    const drops: (() => Promise<void>)[] = [];
    for await (const run of allRuns(journal, environment)) {
      if (run.createdAt.getTime() >= cutoff) continue;
      const rollback = await rollbacks.get(run.id);
      if (run.state === 'running' || rollback?.state === 'running') {
        skipped.push({ runId: run.id, reason: run.state === 'running' ? 'still running (resume or roll it back first)' : 'its rollback is running' });
        continue;
      }
      const plan = await journal.runPlan(run.id);
      const database = movedDatabase(plan);
      const backupName = database === undefined ? undefined : backupDatabaseName(database, run.id);
      const backup = backupName === undefined ? undefined : await describeDatabase((await serverFor()).client, backupName);
      const dump = await dumpedFile(plan, run.id);
      const snapshots = await creds.listSnapshots(run.id);
      if (backup === undefined && dump === undefined && snapshots.length === 0) continue;
      pruned.push(
        Object.freeze({
          runId: run.id,
          createdAt: run.createdAt,
          state: rollback?.state ?? run.state,
          databaseBackup: backup === undefined ? undefined : Object.freeze({ name: backup.name, sizeBytes: backup.sizeBytes }),
          databaseDump: dump,
          credentialSnapshots: snapshots.map((s) => Object.freeze({ schema: s.schema, rows: s.rowCount })),
        }),
      );
      drops.push(async () => {
        if (backup !== undefined) await dropDatabase((await serverFor()).client, backup.name);
        if (dump !== undefined) await rm(dump.file, { force: true });
        if (snapshots.length > 0) await creds.dropSnapshot(run.id);
      });
    }
    const result = (dryRun: boolean): PruneResult => Object.freeze({ environment, pruned: Object.freeze(pruned), skipped: Object.freeze(skipped), dryRun });
    if (options.dryRun === true || pruned.length === 0) return result(options.dryRun === true);
    if (options.confirm === undefined) {
      throw new ResetError('confirmation_required', `Pruning the backups of ${pruned.length} runs of ${environment} needs a confirmation`, {
        nextSteps: ['Pass a confirm callback (the CLI: --yes, or type the name on a terminal); see what would go with a dry run first.'],
      });
    }
    const databases = pruned.filter((p) => p.databaseBackup !== undefined || p.databaseDump !== undefined).length;
    await options.confirm({
      environment,
      protected: connection.environment.protected,
      summary:
        `drop the backups of ${pruned.length} run${pruned.length === 1 ? '' : 's'} of ${environment} older than ${new Date(cutoff).toISOString()}` +
        (databases > 0 ? ` (${databases} Synapse database backup${databases === 1 ? '' : 's'}: those runs can no longer be rolled back)` : ''),
    });
    for (const drop of drops) await drop();
    return result(false);
  } finally {
    await server?.close();
  }
}

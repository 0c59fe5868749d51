import type { AnyKysely } from '@matrix-reset/user-creds';
import { openRollbackJournal, type JournalRollback } from '../journal/rollback-journal.ts';
import { openJournal, type JournalRun } from '../journal/run-journal.ts';
import type { RunResult } from './run-steps.ts';

/** A run as `runStatus` reports it: its steps and, once a rollback of it began, where that rollback stands. */
export interface RunStatus extends RunResult {
  readonly rollback: JournalRollback | undefined;
}

/**
 * One page of an environment's runs (newest first) with their steps and rollbacks, and the cursor of the next page
 * (undefined on the last): what `matrix-reset status` and `GET /v1/runs` page through.
 *
 * @example
 * let page = await runStatusPage(connection.db, { environment: 'dev', limit: 50 });
 * while (page.nextCursor !== undefined) page = await runStatusPage(connection.db, { environment: 'dev', cursor: page.nextCursor });
 */
export async function runStatusPage(db: AnyKysely, options: { environment?: string; limit?: number; cursor?: string } = {}): Promise<{ runs: RunStatus[]; nextCursor: string | undefined }> {
  const journal = await openJournal(db);
  const rollbacks = await openRollbackJournal(db);
  const page = await journal.listRunPage(options);
  const runs = await Promise.all(page.runs.map(async (run) => Object.freeze({ run, steps: await journal.steps(run.id), rollback: await rollbacks.get(run.id) })));
  return { runs, nextCursor: page.nextCursor };
}

export async function runStatus(db: AnyKysely, options: { environment?: string; runId?: string; limit?: number } = {}): Promise<RunStatus[]> {
  const journal = await openJournal(db);
  const rollbacks = await openRollbackJournal(db);
  let runs: JournalRun[];
  if (options.runId !== undefined) {
    const run = await journal.getRun(options.runId);
    runs = run === undefined ? [] : [run];
  } else {
    runs = await journal.listRuns({ ...(options.environment === undefined ? {} : { environment: options.environment }), limit: options.limit ?? 20 });
  }
  return Promise.all(runs.map(async (run) => Object.freeze({ run, steps: await journal.steps(run.id), rollback: await rollbacks.get(run.id) })));
}

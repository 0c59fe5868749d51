import { openRollbackJournal, type JournalRollback } from '../journal/rollback-journal.ts';
import { openJournal } from '../journal/run-journal.ts';
import { planChecksum } from '../plan/plan-freeze.ts';
import { ResetError } from '../reset-error.ts';
import type { RunConnection } from '../steps/step-definition.ts';
import { runLockOptions, withEnvironmentLock } from './environment-lock.ts';
import { holderOf, journaledRun, planSummary, runSteps, type RunOptions, type RunResult } from './run-steps.ts';

/** Resuming a run that a rollback touched would redo what the rollback undid: refused with `rolled_back`. */
function refuseRolledBack(runId: string, rollback: JournalRollback | undefined): void {
  if (rollback === undefined) return;
  const when = rollback.updatedAt.toISOString();
  if (rollback.state === 'rolled-back') {
    throw new ResetError('rolled_back', `Run ${runId} was rolled back (${when}) and cannot be resumed`, {
      nextSteps: ['Make a new plan (matrix-reset plan), review it, and apply that one.'],
    });
  }
  throw new ResetError('rolled_back', `Run ${runId} has a rollback that did not finish (${rollback.state}, ${when}); it cannot be resumed`, {
    nextSteps: [`Finish the rollback: matrix-reset rollback ${runId}; then make a new plan (matrix-reset plan) and apply that one.`],
  });
}

/**
 * Continues a run that stopped (a failed step, a crash, a killed process): takes the lock, reloads the run's plan
 * from the journal (checked against its checksum), and runs every step not finished; a step journaled as started
 * but not finished runs again (every step is idempotent). The plan is not re-checked for staleness: its own steps
 * changed what it observed. A finished run is returned as it is. A run with a rollback (finished or not) is refused
 * with `rolled_back`: resuming it would redo what the rollback undid; make a new plan instead.
 *
 * @example
 * const { run } = await resumeRun('r20260101t120000_3fa9', connection, { onProgress: console.error });
 */
export async function resumeRun(runId: string, connection: RunConnection, options: RunOptions = {}): Promise<RunResult> {
  const journal = await openJournal(connection.db);
  const { run: existing, plan } = await journaledRun(journal, runId, connection, 'Resume');
  if (planChecksum(plan) !== existing.planChecksum) {
    throw new ResetError('stale_plan', `The plan journaled with run ${runId} does not match its recorded checksum`, { nextSteps: ['Someone edited the journal; make a new plan.'] });
  }
  const rollbacks = await openRollbackJournal(connection.db);
  const holder = holderOf(options);
  return withEnvironmentLock(connection.db, runLockOptions(connection, holder, { takeOverFrom: options.takeOverLockFrom, onProgress: options.onProgress }), async () => {
    // Checked under the lock: a rollback takes the same lock, so none can begin between this check and the steps.
    refuseRolledBack(runId, await rollbacks.get(runId));
    const current = await journal.getRun(runId);
    if (current?.state === 'finished') return { run: current, steps: await journal.steps(runId) };
    await journal.setRunState(runId, 'running', { holder });
    options.onProgress?.({ type: 'message', message: `resuming run ${runId}: ${planSummary(plan)}` });
    return runSteps(journal, runId, plan, connection, options);
  });
}

/**
 * The runs of an environment (newest first) with their steps and their rollback (`undefined` if never rolled back),
 * from the journal.
 *
 * @example
 * for (const { run, steps, rollback } of await runStatus(connection.db, { environment: 'dev' })) console.log(run.id, run.state, steps.length, rollback?.state);
 */

import { createUserCreds, DEFAULT_OWN_SCHEMA } from '@matrix-reset/user-creds';
import { openRollbackJournal, type JournalRollbackStep, type RollbackState } from '../journal/rollback-journal.ts';
import { openJournal, type JournalStep } from '../journal/run-journal.ts';
import { planChecksum } from '../plan/plan-freeze.ts';
import type { ProgressListener } from '../progress.ts';
import { isResetError, ResetError } from '../reset-error.ts';
import type { RollbackOutcome, RunConnection, StepDetail, UndoContext, UndoResult } from '../steps/step-definition.ts';
import type { StepKind } from '../steps/step-kinds.ts';
import { STEP_DEFINITIONS } from '../steps/step-registry.ts';
import { runLockOptions, withEnvironmentLock } from './environment-lock.ts';
import { holderOf, journaledRun } from './run-steps.ts';

export type { RollbackOutcome } from '../steps/step-definition.ts';

export interface RollbackStepResult {
  readonly stepId: string;
  readonly kind: StepKind;
  /** How far the step got in the run. */
  readonly ranState: JournalStep['state'];
  readonly outcome: RollbackOutcome;
  readonly summary: string;
  /** Plain statements of what stays as the run left it (empty when everything was put back). */
  readonly cannotUndo: readonly string[];
  readonly detail: StepDetail;
}

export interface RollbackResult {
  readonly runId: string;
  readonly environment: string;
  readonly mode: string;
  /** `nothing-to-undo`: no step of the run ever started; `dry-run`: nothing was written. */
  readonly state: RollbackState | 'dry-run' | 'nothing-to-undo';
  /** True when an earlier rollback had finished: this call changed nothing. */
  readonly alreadyRolledBack: boolean;
  /** The run's steps that ran, in the order they are undone (reverse plan order). */
  readonly steps: readonly RollbackStepResult[];
  /** Everything that stays as the run left it, from every step. */
  readonly cannotUndo: readonly string[];
}

/** Asked before anything is written; throws to decline. */
export type ConfirmRollback = (request: { environment: string; protected: boolean; summary: string }) => Promise<void>;

export interface RollbackOptions {
  /** Required unless `dryRun`: a rollback writes credentials and secrets back. */
  confirm?: ConfirmRollback;
  onProgress?: ProgressListener;
  /** Say what would be undone and what cannot; write nothing, take no lock. */
  dryRun?: boolean;
  /** Shown to anyone refused by the lock, and journaled. */
  holder?: string;
  /** Take the environment's Lease over from exactly this holder (see `RunOptions.takeOverLockFrom`). */
  takeOverLockFrom?: string;
}

function fromJournal(step: JournalRollbackStep, ran: JournalStep): RollbackStepResult {
  const stored = (step.detail ?? {}) as Partial<UndoResult>;
  return Object.freeze({
    stepId: step.stepId,
    kind: step.kind as StepKind,
    ranState: ran.state,
    outcome: stored.outcome ?? 'nothing-to-undo',
    summary: stored.summary ?? '',
    cannotUndo: stored.cannotUndo ?? [],
    detail: stored.detail ?? {},
  });
}

function result(base: Omit<RollbackResult, 'cannotUndo'>): RollbackResult {
  return Object.freeze({ ...base, cannotUndo: base.steps.flatMap((s) => s.cannotUndo) });
}

/**
 * Rolls a run back: takes the environment's lock, then undoes, in reverse plan order, what each step that started
 * did and can be undone, journaling the rollback (`rolled-back` or `rollback-failed`, one entry per step) so a
 * rollback that stops can be run again. Credentials cleared by the run come back from its snapshots (only rows still
 * cleared: the app's later writes are kept); tokens a repair re-provisioned are put back to their snapshot values
 * only where the row still holds the repair's token (compare-and-set); admin-token targets get their previous
 * version back. What cannot be undone (a wiped Synapse, a registered user, a deleted volume) is said in
 * `cannotUndo`, never hidden. A second rollback changes nothing; a run with no started step has nothing to undo.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(env);
 * const preview = await rollbackRun('r20260101t120000_3fa9', connection, { dryRun: true });
 * const done = await rollbackRun('r20260101t120000_3fa9', connection, { confirm: async ({ summary }) => console.error(summary) });
 * for (const line of done.cannotUndo) console.error(`not undone: ${line}`);
 * ```
 */
export async function rollbackRun(runId: string, connection: RunConnection, options: RollbackOptions = {}): Promise<RollbackResult> {
  const journal = await openJournal(connection.db);
  const { run, plan } = await journaledRun(journal, runId, connection, 'Roll back');
  if (planChecksum(plan) !== run.planChecksum) {
    throw new ResetError('stale_plan', `The plan journaled with run ${runId} does not match its recorded checksum`, { nextSteps: ['Someone edited the journal; roll back by hand from the snapshots (matrix-reset creds restore).'] });
  }
  const rollbacks = await openRollbackJournal(connection.db);
  const creds = createUserCreds({ db: connection.db, layout: connection.environment.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA });
  const base = { runId, environment: run.environment, mode: run.mode };

  const compute = async (dryRun: boolean, write: boolean): Promise<RollbackResult> => {
    const ranSteps = await journal.steps(runId);
    const ran = new Map(ranSteps.map((s) => [s.stepId, s]));
    const ranKinds = new Map(ranSteps.map((s) => [s.kind as StepKind, s]));
    const toUndo = [...plan.steps].reverse().filter((s) => ran.has(s.id));
    const existing = await rollbacks.get(runId);
    const done = new Map((await rollbacks.steps(runId)).map((s) => [s.stepId, s]));
    if (existing?.state === 'rolled-back') {
      return result({ ...base, state: 'rolled-back', alreadyRolledBack: true, steps: toUndo.flatMap((s) => (done.has(s.id) ? [fromJournal(done.get(s.id)!, ran.get(s.id)!)] : [])) });
    }
    if (toUndo.length === 0) return result({ ...base, state: 'nothing-to-undo', alreadyRolledBack: false, steps: [] });
    if (write) {
      if (options.confirm === undefined) {
        throw new ResetError('confirmation_required', `Rolling back run ${runId} of ${run.environment} needs a confirmation`, {
          nextSteps: ['Pass a confirm callback (the CLI: --yes, or type the name on a terminal); see what it would do with a dry run first.'],
        });
      }
      await options.confirm({
        environment: connection.environment.name,
        protected: connection.environment.protected,
        summary: `roll back run ${runId} of ${run.environment}: undo ${toUndo.length} steps (${toUndo.map((s) => s.id).join(', ')})`,
      });
      await rollbacks.begin(runId, holderOf(options));
    }
    const steps: RollbackStepResult[] = [];
    for (const step of toUndo) {
      const ranStep = ran.get(step.id)!;
      const previous = done.get(step.id);
      if (previous?.state === 'finished') {
        steps.push(fromJournal(previous, ranStep));
        continue;
      }
      options.onProgress?.({ type: 'message', message: `${dryRun ? 'dry run: ' : ''}undo ${step.id}` });
      const context: UndoContext = { runId, plan, step, ran: ranStep, ranKinds, connection, creds, rollbacks, previous, dryRun };
      if (write) await rollbacks.stepStarted(runId, step);
      let undone: UndoResult;
      try {
        undone = await STEP_DEFINITIONS[step.kind].undo(context);
      } catch (error) {
        if (!write) throw error;
        const failure = { code: isResetError(error) ? error.code : 'bug', message: error instanceof Error ? error.message : String(error) };
        await rollbacks.stepFailed(runId, step.id, failure);
        await rollbacks.finish(runId, 'rollback-failed', failure);
        if (isResetError(error)) throw error;
        throw new ResetError('step_failed', `Undoing step ${step.id} of run ${runId} failed: ${failure.message}`, {
          nextSteps: [`Fix the cause, then roll back again: matrix-reset rollback ${runId} (steps already undone are not repeated).`],
          cause: error,
        });
      }
      if (write) await rollbacks.stepFinished(runId, step.id, undone);
      steps.push(Object.freeze({ stepId: step.id, kind: step.kind, ranState: ranStep.state, ...undone }));
      options.onProgress?.({ type: 'message', message: `${step.id}: ${undone.summary}` });
    }
    if (write) await rollbacks.finish(runId, 'rolled-back');
    return result({ ...base, state: dryRun ? 'dry-run' : 'rolled-back', alreadyRolledBack: false, steps });
  };

  if (options.dryRun === true) return compute(true, false);
  return withEnvironmentLock(connection.db, runLockOptions(connection, holderOf(options), { takeOverFrom: options.takeOverLockFrom, onProgress: options.onProgress }), () => compute(false, true));
}

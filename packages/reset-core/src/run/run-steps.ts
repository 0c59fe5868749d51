import { defaultHolder } from './lock-holder.ts';
import type { Journal, JournalRun, JournalStep } from '../journal/run-journal.ts';
import type { Plan, PlanStep } from '../plan/plan-model.ts';
import type { ProgressListener } from '../progress.ts';
import { isResetError, ResetError } from '../reset-error.ts';
import type { RunConnection, StepDetail } from '../steps/step-definition.ts';
import { STEP_DEFINITIONS } from '../steps/step-registry.ts';

/** Called around every step; a throw stops the run there as if the process died (tests use it to inject crashes). */
export type StepHook = (event: { phase: 'before' | 'after'; runId: string; step: PlanStep; position: number }) => void | Promise<void>;

/** What apply and resume share. */
export interface RunOptions {
  onStep?: StepHook;
  /** Step, wait and count events as the run goes (`describeProgress` turns one into a line). */
  onProgress?: ProgressListener;
  /** Users handled at once by the re-provisioning step (default 8). */
  concurrency?: number;
  /**
   * Rows cleared per transaction by the clear steps (default 10,000): smaller batches hold row locks for less time on
   * a busy table. A run that dies between batches resumes after the last committed one.
   */
  batchSize?: number;
  /** Shown to anyone refused by the lock, and journaled. */
  holder?: string;
  /**
   * Take the environment's Lease over from exactly this holder (named in a `locked` refusal) although it has not
   * expired: for a holder known to be gone. Confirm with the operator first. A holder of this host whose process is
   * gone is taken over without it.
   */
  takeOverLockFrom?: string;
}

export interface RunResult {
  readonly run: JournalRun;
  readonly steps: readonly JournalStep[];
}

/** One line for the confirmation and the log: the mode, the environment and the step kinds. */
export function planSummary(plan: Plan): string {
  return `${plan.mode} of ${plan.environment}: ${plan.steps.length} steps (${plan.steps.map((s) => s.kind).join(', ') || 'none'})`;
}

/** Who takes the lock and is journaled: the caller's name, or this process on this host. */
export function holderOf(options: { holder?: string }): string {
  return options.holder ?? defaultHolder();
}

/**
 * Runs every step of the plan the journal has not finished, in order, journaling each before and after; a step
 * journaled as started but not finished runs again (every step is idempotent). A failure is journaled and thrown
 * as a `ResetError` (a bug keeps its cause).
 */
export async function runSteps(journal: Journal, runId: string, plan: Plan, connection: RunConnection, options: RunOptions): Promise<RunResult> {
  const done = new Set((await journal.steps(runId)).filter((s) => s.state === 'finished').map((s) => s.stepId));
  for (const [position, step] of plan.steps.entries()) {
    if (done.has(step.id)) continue;
    await journal.stepStarted(runId, step, position);
    await options.onStep?.({ phase: 'before', runId, step, position });
    options.onProgress?.({ type: 'step-started', stepId: step.id, kind: step.kind, description: step.description, position, total: plan.steps.length });
    const started = performance.now();
    let detail: StepDetail;
    try {
      detail = await STEP_DEFINITIONS[step.kind].execute({
        runId,
        plan,
        step,
        connection,
        concurrency: options.concurrency ?? 8,
        batchSize: options.batchSize,
        onProgress: options.onProgress,
      });
    } catch (error) {
      const failure = { code: isResetError(error) ? error.code : 'bug', message: error instanceof Error ? error.message : String(error) };
      await journal.stepFailed(runId, step.id, failure);
      await journal.setRunState(runId, 'failed', { error: failure });
      options.onProgress?.({ type: 'step-failed', stepId: step.id, message: failure.message });
      if (isResetError(error)) throw error;
      throw new ResetError('step_failed', `Step ${step.id} of run ${runId} failed: ${failure.message}`, {
        nextSteps: [`Fix the cause, then continue: matrix-reset resume ${runId} (finished steps are not repeated).`],
        cause: error,
      });
    }
    await journal.stepFinished(runId, step.id, detail);
    options.onProgress?.({ type: 'step-finished', stepId: step.id, ms: Math.round(performance.now() - started) });
    await options.onStep?.({ phase: 'after', runId, step, position });
  }
  await journal.setRunState(runId, 'finished');
  const run = await journal.getRun(runId);
  return { run: run!, steps: await journal.steps(runId) };
}

/** The run of this environment's journal, its plan checked against the checksum journaled with it. */
export async function journaledRun(journal: Journal, runId: string, connection: RunConnection, verb: string): Promise<{ run: JournalRun; plan: Plan }> {
  const environment = connection.environment.name;
  const run = await journal.getRun(runId);
  if (run === undefined) {
    throw new ResetError('run_not_found', `No run ${runId} in the journal of ${environment}`, { nextSteps: ['List the runs: matrix-reset status.'] });
  }
  if (run.environment !== environment) {
    throw new ResetError('stale_plan', `Run ${runId} belongs to environment ${run.environment}, not ${environment}`, { nextSteps: [`${verb} it with --env ${run.environment}.`] });
  }
  const plan = await journal.runPlan(runId);
  return { run, plan };
}

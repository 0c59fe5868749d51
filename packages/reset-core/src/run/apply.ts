import type { Kube } from '@matrix-reset/k8s-ops';
import type { SecretStore } from '@matrix-reset/secrets';
import type { SynapseClient } from '@matrix-reset/synapse-admin';
import { newRunId, type AnyKysely } from '@matrix-reset/user-creds';
import { defaultHolder, withEnvironmentLock } from './environment-lock.ts';
import { openJournal, type Journal, type JournalRun, type JournalStep } from '../journal/run-journal.ts';
import { observePlanState } from '../plan/plan-build.ts';
import { diffObserved, planChecksum, type Plan, type PlanStep } from '../plan/plan-model.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { isResetError, ResetError } from '../reset-error.ts';
import { openRollbackJournal, type JournalRollback } from '../journal/rollback-journal.ts';
import { STEP_EXECUTORS, type StepDetail } from '../steps/step-repair.ts';

/** The live clients apply works through: an `EnvironmentConnection` fits. */
export interface ApplyDependencies {
  readonly environment: EnvironmentConfig;
  readonly kube: Kube | undefined;
  /** Carries the admin token. */
  readonly synapse: SynapseClient;
  readonly db: AnyKysely;
  readonly openSecretStore: (reference: string) => SecretStore;
}

/** Asked once the plan is known to be current, before anything is written; throws to decline. */
export type ConfirmApply = (request: {
  environment: string;
  /** True: the operator must type the environment's name (the CLI prompts). */
  protected: boolean;
  summary: string;
  plan: Plan;
}) => Promise<void>;

/** Called around every step; a throw stops the run there as if the process died (tests use it to inject crashes). */
export type StepHook = (event: { phase: 'before' | 'after'; runId: string; step: PlanStep; position: number }) => void | Promise<void>;

export interface ApplyOptions {
  /** Required: apply never writes without a confirmation. */
  confirm?: ConfirmApply;
  onStep?: StepHook;
  onProgress?: (message: string) => void;
  /** Users handled at once by the re-provisioning step (default 8). */
  concurrency?: number;
  /**
   * Rows cleared per transaction by the clear step (default 10,000): smaller batches hold row locks for less time on
   * a busy table. A run that dies between batches resumes after the last committed one.
   */
  batchSize?: number;
  /** Shown to anyone refused by the lock, and journaled. */
  holder?: string;
  /** The journal run id (default a new one). */
  runId?: string;
}

export interface RunResult {
  readonly run: JournalRun;
  readonly steps: readonly JournalStep[];
}

/** A run as `runStatus` reports it: its steps and, once a rollback of it began, where that rollback stands. */
export interface RunStatus extends RunResult {
  readonly rollback: JournalRollback | undefined;
}

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

function summary(plan: Plan): string {
  return `${plan.mode} of ${plan.environment}: ${plan.steps.length} steps (${plan.steps.map((s) => s.kind).join(', ') || 'none'})`;
}

function requireExecutable(plan: Plan): void {
  const missing = plan.steps.filter((s) => STEP_EXECUTORS[s.kind] === undefined).map((s) => s.kind);
  if (missing.length > 0) {
    throw new ResetError('unsupported', `This version cannot execute a ${plan.mode} plan yet (no executor for ${[...new Set(missing)].join(', ')})`, {
      nextSteps: ['Follow the plan by hand (its steps are in the runbook order), or plan a repair: matrix-reset plan --mode repair.'],
    });
  }
}

function lockOptions(deps: ApplyDependencies, holder: string) {
  const k = deps.environment.kubernetes;
  return {
    environment: deps.environment.name,
    holder,
    ...(k !== undefined && deps.kube !== undefined ? { kubernetes: { kube: deps.kube, namespace: k.namespace } } : {}),
  };
}

async function runSteps(journal: Journal, runId: string, plan: Plan, deps: ApplyDependencies, options: ApplyOptions): Promise<RunResult> {
  const done = new Set((await journal.steps(runId)).filter((s) => s.state === 'finished').map((s) => s.stepId));
  for (const [position, step] of plan.steps.entries()) {
    if (done.has(step.id)) continue;
    const execute = STEP_EXECUTORS[step.kind];
    if (execute === undefined) throw new Error(`no executor for ${step.kind} (checked before the run)`);
    await journal.stepStarted(runId, step, position);
    await options.onStep?.({ phase: 'before', runId, step, position });
    options.onProgress?.(`${step.id}: ${step.description}`);
    let detail: StepDetail;
    try {
      detail = await execute({
        runId,
        environment: deps.environment,
        step,
        mode: plan.mode,
        kube: deps.kube,
        openSecretStore: deps.openSecretStore,
        synapse: deps.synapse,
        db: deps.db,
        concurrency: options.concurrency ?? 8,
        batchSize: options.batchSize,
        onProgress: options.onProgress,
      });
    } catch (error) {
      const failure = { code: isResetError(error) ? error.code : 'bug', message: error instanceof Error ? error.message : String(error) };
      await journal.stepFailed(runId, step.id, failure);
      await journal.setRunState(runId, 'failed', { error: failure });
      if (isResetError(error)) throw error;
      throw new ResetError('step_failed', `Step ${step.id} of run ${runId} failed: ${failure.message}`, {
        nextSteps: [`Fix the cause, then continue: matrix-reset resume ${runId} (finished steps are not repeated).`],
        cause: error,
      });
    }
    await journal.stepFinished(runId, step.id, detail);
    await options.onStep?.({ phase: 'after', runId, step, position });
  }
  await journal.setRunState(runId, 'finished');
  const run = await journal.getRun(runId);
  return { run: run!, steps: await journal.steps(runId) };
}

/**
 * Applies a plan: refuses one made for another environment or one this version cannot execute (`unsupported`),
 * takes the environment's lock (`locked` names the holder), re-reads what the plan observed and refuses a stale
 * plan (`stale_plan`, listing every change), asks `confirm` (`confirmation_required` without one), then runs the
 * steps in order, journaling each before and after. A run that stops can be continued with {@link resumeRun}.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(env);
 * const plan = await readPlanFile('dev.plan.json');
 * const { run } = await applyPlan(plan, connection, { confirm: async ({ summary }) => console.error(summary) });
 * console.log(run.id, run.state);
 * ```
 */
export async function applyPlan(plan: Plan, deps: ApplyDependencies, options: ApplyOptions = {}): Promise<RunResult> {
  const env = deps.environment;
  if (plan.environment !== env.name) {
    throw new ResetError('stale_plan', `The plan was made for environment ${plan.environment}, not ${env.name}`, { nextSteps: [`Apply it with --env ${plan.environment}, or make a plan for ${env.name}.`] });
  }
  requireExecutable(plan);
  const holder = options.holder ?? defaultHolder();
  const journal = await openJournal(deps.db);
  return withEnvironmentLock(deps.db, lockOptions(deps, holder), async () => {
    const { observed } = await observePlanState(env, deps);
    const changes = diffObserved(plan.observed, observed);
    if (changes.length > 0) {
      const listed = changes.slice(0, 20).map((c) => `${c.path}: ${c.planned} -> ${c.now}`);
      throw new ResetError('stale_plan', `The plan ${plan.id} is stale: ${changes.length} observed values changed since it was made:\n  ${listed.join('\n  ')}`, {
        nextSteps: ['Make a new plan (matrix-reset plan), review it, and apply that one.'],
      });
    }
    if (options.confirm === undefined) {
      throw new ResetError('confirmation_required', `Applying ${summary(plan)} needs a confirmation`, { nextSteps: ['Pass a confirm callback (the CLI: --yes, or type the name on a terminal).'] });
    }
    await options.confirm({ environment: env.name, protected: env.protected, summary: summary(plan), plan });
    const runId = options.runId ?? newRunId();
    await journal.createRun({ runId, plan, planChecksum: planChecksum(plan), holder });
    options.onProgress?.(`run ${runId}: ${summary(plan)}`);
    return runSteps(journal, runId, plan, deps, options);
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
export async function resumeRun(runId: string, deps: ApplyDependencies, options: Omit<ApplyOptions, 'runId' | 'confirm'> = {}): Promise<RunResult> {
  const journal = await openJournal(deps.db);
  const existing = await journal.getRun(runId);
  if (existing === undefined) {
    throw new ResetError('unsupported', `No run ${runId} in the journal of ${deps.environment.name}`, { nextSteps: ['List the runs: matrix-reset status.'] });
  }
  if (existing.environment !== deps.environment.name) {
    throw new ResetError('stale_plan', `Run ${runId} belongs to environment ${existing.environment}, not ${deps.environment.name}`, { nextSteps: [`Resume it with --env ${existing.environment}.`] });
  }
  const plan = await journal.runPlan(runId);
  if (planChecksum(plan) !== existing.planChecksum) {
    throw new ResetError('stale_plan', `The plan journaled with run ${runId} does not match its recorded checksum`, { nextSteps: ['Someone edited the journal; make a new plan.'] });
  }
  requireExecutable(plan);
  const rollbacks = await openRollbackJournal(deps.db);
  const holder = options.holder ?? defaultHolder();
  return withEnvironmentLock(deps.db, lockOptions(deps, holder), async () => {
    // Checked under the lock: a rollback takes the same lock, so none can begin between this check and the steps.
    refuseRolledBack(runId, await rollbacks.get(runId));
    const current = await journal.getRun(runId);
    if (current?.state === 'finished') return { run: current, steps: await journal.steps(runId) };
    await journal.setRunState(runId, 'running', { holder });
    options.onProgress?.(`resuming run ${runId}: ${summary(plan)}`);
    return runSteps(journal, runId, plan, deps, options);
  });
}

/**
 * The runs of an environment (newest first) with their steps and their rollback (`undefined` if never rolled back),
 * from the journal.
 *
 * @example
 * for (const { run, steps, rollback } of await runStatus(connection.db, { environment: 'dev' })) console.log(run.id, run.state, steps.length, rollback?.state);
 */
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

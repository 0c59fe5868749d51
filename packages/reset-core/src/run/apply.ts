import { openJournal } from '../journal/run-journal.ts';
import { planChecksum } from '../plan/plan-freeze.ts';
import { diffObserved, observePlanState } from '../plan/plan-freshness.ts';
import type { Plan } from '../plan/plan-model.ts';
import { ResetError } from '../reset-error.ts';
import type { RunConnection } from '../steps/step-definition.ts';
import { newRunId } from '../support/ids.ts';
import { runLockOptions, withEnvironmentLock } from './environment-lock.ts';
import { holderOf, planSummary, runSteps, type RunOptions, type RunResult } from './run-steps.ts';

/** Asked once the plan is known to be current, before anything is written; throws to decline. */
export type ConfirmApply = (request: {
  environment: string;
  /** True: the operator must type the environment's name (the CLI prompts). */
  protected: boolean;
  summary: string;
  plan: Plan;
}) => Promise<void>;

export interface ApplyOptions extends RunOptions {
  /** Required: apply never writes without a confirmation. */
  confirm?: ConfirmApply;
  /** The journal run id (default a new one). */
  runId?: string;
}

/**
 * Applies a plan: refuses one made for another environment,
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
export async function applyPlan(plan: Plan, connection: RunConnection, options: ApplyOptions = {}): Promise<RunResult> {
  const env = connection.environment;
  if (plan.environment !== env.name) {
    throw new ResetError('stale_plan', `The plan was made for environment ${plan.environment}, not ${env.name}`, { nextSteps: [`Apply it with --env ${plan.environment}, or make a plan for ${env.name}.`] });
  }
  const holder = holderOf(options);
  const journal = await openJournal(connection.db);
  return withEnvironmentLock(connection.db, runLockOptions(connection, holder, { takeOverFrom: options.takeOverLockFrom, onProgress: options.onProgress }), async () => {
    const { observed } = await observePlanState(env, connection);
    const changes = diffObserved(plan.observed, observed);
    if (changes.length > 0) {
      const listed = changes.slice(0, 20).map((c) => `${c.path}: ${c.planned} -> ${c.now}`);
      throw new ResetError('stale_plan', `The plan ${plan.id} is stale: ${changes.length} observed values changed since it was made:\n  ${listed.join('\n  ')}`, {
        nextSteps: ['Make a new plan (matrix-reset plan), review it, and apply that one.'],
      });
    }
    if (options.confirm === undefined) {
      throw new ResetError('confirmation_required', `Applying ${planSummary(plan)} needs a confirmation`, { nextSteps: ['Pass a confirm callback (the CLI: --yes, or type the name on a terminal).'] });
    }
    await options.confirm({ environment: env.name, protected: env.protected, summary: planSummary(plan), plan });
    const runId = options.runId ?? newRunId();
    await journal.createRun({ runId, plan, planChecksum: planChecksum(plan), holder });
    options.onProgress?.({ type: 'message', message: `run ${runId}: ${planSummary(plan)}` });
    return runSteps(journal, runId, plan, connection, options);
  });
}


import { doctor, type DoctorDependencies, type DoctorOptions, type DoctorReport } from '../doctor/doctor.ts';
import type { ObserveDependencies, Observation } from '../observe/observe.ts';
import { STEP_DEFINITIONS, STEP_ORDER } from '../steps/step-registry.ts';
import type { PlanInput } from '../steps/step-definition.ts';
import { newPlanId } from '../support/ids.ts';
import { freezePlan } from './plan-freeze.ts';
import { planObserved, observePlanState } from './plan-freshness.ts';
import { PLAN_VERSION, type Plan, type PlanMode, type PlanStep } from './plan-model.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { ResetError } from '../reset-error.ts';

export interface BuildPlanOptions {
  /** `auto` (default) follows the doctor: `repair` while the server still has the users, `full-reset` once it was wiped. */
  mode?: 'auto' | PlanMode;
  /** Live checksums of the app's credential columns per schema (`liveChecksums`): apply refuses the plan when they change. */
  checksums?: Readonly<Record<string, string>>;
  /**
   * A full reset although Synapse keeps its data in an external Postgres: deleting the PVC then invalidates no
   * token (only media and the signing key go). Refused unless set.
   */
  allowExternalDatabase?: boolean;
  /**
   * Also clear the stored credentials of rows naming deactivated Matrix users (repair plans). Such rows need the
   * app's decision: by default they are left alone and reported apart from the drift a repair fixes.
   */
  clearDeactivated?: boolean;
  /** End the plan with a `verify` step (default true). */
  verify?: boolean;
  /** For tests: the plan's time and id. */
  now?: Date;
  id?: string;
}

function chooseMode(report: DoctorReport, requested: BuildPlanOptions['mode']): { mode: PlanMode; reason: string } {
  if (requested === 'repair' || requested === 'full-reset' || requested === 'restore-admin') return { mode: requested, reason: `chosen by the operator (doctor: ${report.recommendation.action}: ${report.recommendation.reason})` };
  const { action, reason } = report.recommendation;
  if (action === 'repair' || action === 'full-reset' || action === 'restore-admin') return { mode: action, reason: `doctor: ${reason}` };
  if (action === 'nothing') return { mode: 'repair', reason: `doctor: ${reason}; nothing to repair` };
  throw new ResetError('unsupported', `The doctor cannot tell which reset ${report.environment} needs: ${reason}`, {
    nextSteps: ['Fix what kept the doctor from checking (often the admin token), then plan again.', 'Or choose yourself: matrix-reset plan --mode repair (or --mode full-reset).'],
  });
}

function refuseDelegated(observation: Observation): void {
  if (observation.synapse.authMode !== 'delegated') return;
  throw new ResetError('delegated_auth', `${observation.synapse.baseUrl} delegates authentication to the Matrix Authentication Service: matrix-reset cannot mint tokens or register users there`, {
    nextSteps: [
      'Issue tokens through the auth service instead: `mas-cli manage issue-compatibility-token <username>` (or its admin API), and store them in the app database.',
      'A full reset there means resetting the auth service and Synapse together; matrix-reset does not plan that.',
    ],
  });
}

/** The steps of a mode, in the registry's order, each described by its own definition (skipped where it does not apply). */
function describeSteps(input: PlanInput, verify: boolean): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const slot of STEP_ORDER[input.mode]) {
    const kind = typeof slot === 'string' ? slot : slot.kind;
    if ((kind === 'verify' && !verify) || (typeof slot !== 'string' && !slot.when(input))) continue;
    const described = STEP_DEFINITIONS[kind].describe(input);
    if (described === undefined) continue;
    const { undo, ...rest } = described;
    steps.push({ id: `${String(steps.length + 1).padStart(2, '0')}-${kind}`, kind, ...rest, undoable: undo !== undefined, ...(undo === undefined ? {} : { undo }) });
  }
  return steps;
}

function requireKubernetes(env: EnvironmentConfig, observation: Observation): void {
  if (observation.kubernetes !== undefined && env.kubernetes !== undefined) return;
  throw new ResetError('environment_incapable', `A full reset of ${env.name} needs its Kubernetes target (StatefulSet and PVC); the environment has none`, {
    nextSteps: ['For a local Synapse, stop it, delete its data directory and run matrix-reset local bootstrap.', 'Or plan a repair: matrix-reset plan --mode repair.'],
  });
}

/**
 * Turns an observation and a doctor report into a frozen plan: `repair` while the server still has the users,
 * `full-reset` once it was wiped or when the operator asks for it. Refuses delegated auth (`delegated_auth`), and a
 * full reset when Synapse's database is external (deleting the PVC would invalidate no token) unless
 * `allowExternalDatabase`. Writes nothing.
 *
 * @example
 * ```ts
 * const { observation, observed } = await observePlanState(env, connection);
 * const plan = buildPlan(env, observation, await doctor(env, connection), { mode: 'auto', checksums: {} });
 * await writePlanFile('dev.plan.json', plan);
 * ```
 */
export function buildPlan(env: EnvironmentConfig, observation: Observation, report: DoctorReport, options: BuildPlanOptions = {}): Plan {
  if (observation.environment !== env.name || report.environment !== env.name) {
    throw new Error(`buildPlan: observation (${observation.environment}) and doctor report (${report.environment}) must be of ${env.name}`);
  }
  refuseDelegated(observation);
  const { mode, reason } = chooseMode(report, options.mode);
  const verify = options.verify ?? true;
  const warnings: string[] = [];
  const clearDeactivated = options.clearDeactivated === true;
  const input: PlanInput = { env, observation, report, mode, clearDeactivated };
  let steps: PlanStep[];
  if (mode === 'repair') {
    // Nothing a repair fixes, and no deactivated rows to clear on request: an empty plan.
    const nothingToDo = report.recommendation.action === 'nothing' && !(clearDeactivated && report.totals.deactivated > 0);
    steps = nothingToDo ? [] : describeSteps(input, verify);
    if (report.adminToken !== 'valid' && steps.length > 0) {
      throw new ResetError('unsupported', `A repair mints tokens with the admin token, and the admin token of ${env.name} is ${report.adminToken}`, {
        nextSteps: [
          'Store a working admin token in the first adminToken target, or bring one back first: matrix-reset plan --mode restore-admin (it registers the admin with the shared secret).',
          'If the server was wiped, plan a full reset instead (it bootstraps a new admin too).',
        ],
      });
    }
    if (report.totals.deactivated > 0 && !clearDeactivated) {
      warnings.push(`${report.totals.deactivated} rows name deactivated Matrix users: they are left alone (never reactivated), and need the app's decision; plan with --clear-deactivated to clear their credentials.`);
    }
    if (report.sample !== undefined) warnings.push(`The doctor checked a sample: ${report.sample.description}. The repair itself covers every row.`);
  } else if (mode === 'restore-admin') {
    steps = describeSteps(input, verify);
  } else {
    const storage = observation.storage;
    if (storage.pvcDeletionWipesUsers === false) {
      if (options.allowExternalDatabase !== true) {
        throw new ResetError('unsupported', `Synapse of ${env.name} keeps its data in an external Postgres (${storage.engine}): deleting the PVC would not invalidate a single token`, {
          nextSteps: [
            'Plan a repair instead (matrix-reset plan --mode repair): it mints new tokens for the users the server has.',
            'If you also reset that database yourself, pass allowExternalDatabase (--allow-external-database) to plan the PVC part anyway.',
          ],
        });
      }
      warnings.push('Synapse keeps its data in an external Postgres: deleting the PVC removes media and the signing key only; reset that database separately.');
    } else if (storage.pvcDeletionWipesUsers === 'unknown') {
      warnings.push(`Where Synapse keeps its data is unknown (${storage.engine}): deleting the PVC may not invalidate the tokens.`);
    }
    requireKubernetes(env, observation);
    steps = describeSteps(input, verify);
  }
  const now = options.now ?? new Date();
  return freezePlan({
    version: PLAN_VERSION,
    id: options.id ?? newPlanId(now),
    environment: env.name,
    mode,
    createdAt: now.toISOString(),
    reason,
    warnings,
    observed: planObserved(observation, options.checksums),
    steps,
  });
}

/**
 * Observes an environment, runs doctor over its stored credentials and builds the plan from both, with the live
 * checksums that make apply refuse the plan once the credentials change. What `matrix-reset plan` does.
 *
 * @example
 * ```ts
 * const { plan } = await planEnvironment(connection.environment, connection, { mode: 'auto' });
 * await writePlanFile('reset.plan.json', plan);
 * ```
 */
export async function planEnvironment(
  env: EnvironmentConfig,
  deps: ObserveDependencies & DoctorDependencies,
  options: Omit<BuildPlanOptions, 'checksums'> & { doctor?: DoctorOptions } = {},
): Promise<{ plan: Plan; observation: Observation; report: DoctorReport }> {
  const { observation, observed } = await observePlanState(env, deps);
  const report = await doctor(env, deps, options.doctor ?? {});
  const checksums = Object.fromEntries(observed.appDatabase.schemas.flatMap((s) => (s.checksum === undefined ? [] : [[s.schema, s.checksum]])));
  const { doctor: _doctorOptions, ...buildOptions } = options;
  return { plan: buildPlan(env, observation, report, { ...buildOptions, checksums }), observation, report };
}

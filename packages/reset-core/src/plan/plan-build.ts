import { doctor, type DoctorDependencies, type DoctorOptions, type DoctorReport } from '../doctor/doctor.ts';
import type { ObserveDependencies, Observation } from '../observe/observe.ts';
import { STEP_DEFINITIONS, STEP_ORDER } from '../steps/step-registry.ts';
import type { DatabaseBackupRequest, PlanInput } from '../steps/step-definition.ts';
import { newPlanId } from '../support/ids.ts';
import { freezePlan } from './plan-freeze.ts';
import { planObserved, observePlanState } from './plan-freshness.ts';
import { PLAN_VERSION, type Plan, type PlanMode, type PlanStep } from './plan-model.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { ResetError } from '../reset-error.ts';
import { chooseDatabaseBackup, mebibytes } from '../steps/synapse-database-target.ts';

export interface BuildPlanOptions {
  /** `auto` (default) follows the doctor: `repair` while the server still has the users, `full-reset` once it was wiped. */
  mode?: 'auto' | PlanMode;
  /** Live checksums of the app's credential columns per schema (`liveChecksums`): apply refuses the plan when they change. */
  checksums?: Readonly<Record<string, string>>;
  /**
   * A Postgres-backed Synapse: plan only the claim's part of a full reset (media, signing key) and leave its database
   * to the operator. Without it the plan resets the database itself (moved aside under the run, made again).
   */
  allowExternalDatabase?: boolean;
  /** A Postgres-backed Synapse: also delete its claim (media, and a signing key kept there), after a VolumeSnapshot where possible. */
  wipeMedia?: boolean;
  /** A Postgres-backed Synapse: end the sessions left on its database once its processes are stopped, instead of refusing. */
  terminateDatabaseSessions?: boolean;
  /**
   * A Postgres-backed Synapse: `rename` (instant; needs CREATEDB and ownership), `dump` (pg_dump into
   * `synapse.database.dumpDirectory`, then emptied in place; needs its schemas), or `auto` (default): rename where
   * the role may, else dump.
   */
  databaseBackup?: DatabaseBackupRequest;
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

/**
 * What a full reset of a Postgres-backed Synapse needs of its database: reached from here, a role that may replace
 * it, and a homeserver.yaml that can still be read once Synapse's pods are stopped. Refuses naming the fix; returns
 * the warnings the observation calls for.
 */
function requireSynapseDatabase(env: EnvironmentConfig, observation: Observation, requested: DatabaseBackupRequest): string[] {
  const seen = observation.synapseDatabase;
  if (seen === undefined || !seen.reachable) {
    const why = seen === undefined ? 'it was not observed' : `${seen.error.message}`;
    throw new ResetError('environment_incapable', `A full reset of ${env.name} resets Synapse's Postgres database, and matrix-reset cannot reach it: ${why}`, {
      nextSteps: [
        "Give matrix-reset a way there in matrix-reset.yaml: synapse.database (url, or host, port, user and password; a port-forward to the database server works), then plan again; `matrix-reset doctor` shows what it reaches.",
        'Or reset that database yourself and plan the claim part only: --allow-external-database.',
      ],
    });
  }
  const backup = chooseDatabaseBackup(env, seen, requested);
  const source = env.synapse.homeserverConfig ?? (env.kubernetes === undefined ? undefined : { pod: '/data/homeserver.yaml' });
  if (source !== undefined && 'pod' in source && env.synapse.database?.url === undefined) {
    throw new ResetError('environment_incapable', `homeserver.yaml of ${env.name} is read from Synapse's pod, which the full reset stops before it reaches the database`, {
      nextSteps: [
        'Point synapse.homeserverConfig at where the pod gets it: { configMap: <name>, key: homeserver.yaml }, { secret: <name>, key: homeserver.yaml } or { file: <path> }.',
        "Or give the database's whole address: synapse.database.url (a secret reference to a postgres:// URL).",
      ],
    });
  }
  const warnings: string[] = [];
  if (backup.method === 'dump') {
    warnings.push(
      `Synapse's database ${seen.database.name} is backed up with pg_dump into ${backup.directory}, not renamed aside (${backup.reason}): ` +
        `this reads every row of ${mebibytes(seen.database.sizeBytes)}, and a rollback restores it the same way. The dump holds Synapse's access tokens: it is written 0600, and kept until you delete it.`,
    );
  }
  if (backup.method === 'rename' && (seen.database.collate !== 'C' || seen.database.ctype !== 'C')) {
    warnings.push(`Synapse's database ${seen.database.name} has collation ${seen.database.collate} and ctype ${seen.database.ctype}: the new one is made alike (Synapse wants C unless database.allow_unsafe_locale is set).`);
  }
  for (const unlisted of observation.kubernetes?.unlistedSynapseWorkloads ?? []) {
    const selector = unlisted.selector === undefined ? 'a label selector naming it' : `e.g. ${unlisted.selector}`;
    warnings.push(
      `${unlisted.kind} ${unlisted.name} looks like a Synapse process (it ${unlisted.why}) and this plan does not stop it: its sessions would keep ${seen.database.name} in use, ` +
        `and the backup step would refuse after 30 s. If it is one of Synapse's workers, name it in kubernetes.workers.selector (${selector}) and plan again.`,
    );
  }
  if (seen.otherDatabases.count > 0) {
    warnings.push(`The server holds ${seen.otherDatabases.count} other database${seen.otherDatabases.count === 1 ? '' : 's'}: only ${seen.database.name} is moved aside and made again.`);
  }
  return warnings;
}

function requireKubernetes(env: EnvironmentConfig, observation: Observation): void {
  if (observation.kubernetes !== undefined && env.kubernetes !== undefined) return;
  throw new ResetError('environment_incapable', `A full reset of ${env.name} needs its Kubernetes target (Synapse's workload and PVC); the environment has none`, {
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
  const input: PlanInput = {
    env,
    observation,
    report,
    mode,
    clearDeactivated,
    allowExternalDatabase: options.allowExternalDatabase === true,
    wipeMedia: options.wipeMedia === true,
    terminateDatabaseSessions: options.terminateDatabaseSessions === true,
    databaseBackup: options.databaseBackup ?? 'auto',
  };
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
    if (storage.engine === 'psycopg2' && options.allowExternalDatabase !== true) {
      warnings.push(...requireSynapseDatabase(env, observation, input.databaseBackup));
    } else if (storage.pvcDeletionWipesUsers === false) {
      warnings.push('Synapse keeps its data in Postgres and this plan leaves that database alone (allowExternalDatabase): deleting the PVC removes media and the signing key only; reset the database yourself.');
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

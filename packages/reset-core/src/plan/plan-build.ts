import { DEFAULT_OWN_SCHEMA, liveChecksums } from '@matrix-reset/user-creds';
import { doctor, type DoctorDependencies, type DoctorOptions, type DoctorReport } from '../doctor/doctor.ts';
import { observe, type ObserveDependencies, type Observation } from '../observe/observe.ts';
import { freezePlan, newPlanId, PLAN_VERSION, type Plan, type PlanMode, type PlanObserved, type PlanStep, type StepKind } from './plan-model.ts';
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
  /** End the plan with a `verify` step (default true). */
  verify?: boolean;
  /** For tests: the plan's time and id. */
  now?: Date;
  id?: string;
}

/**
 * The part of an observation a plan depends on (versions, counts, checksums), in the plan's form.
 *
 * @example
 * const observed = planObserved(await observe(env, deps), await liveChecksums(ctx));
 */
export function planObserved(observation: Observation, checksums: Readonly<Record<string, string>> = {}): PlanObserved {
  const k = observation.kubernetes;
  const inventory = new Map(observation.appDatabase.inventory.map((i) => [i.schema, i]));
  return {
    // Not the base URL: through a port-forward it changes with every connection.
    synapse: { serverVersion: observation.synapse.serverVersion, authMode: observation.synapse.authMode },
    storage: { engine: observation.storage.engine, pvcDeletionWipesUsers: observation.storage.pvcDeletionWipesUsers },
    kubernetes:
      k === undefined
        ? undefined
        : {
            namespace: k.namespace,
            statefulSet: { name: k.statefulSet.name, resourceVersion: k.statefulSet.resourceVersion, replicas: k.statefulSet.replicas },
            pvc: { name: k.pvc.name, exists: k.pvc.state?.exists ?? false, resourceVersion: k.pvc.state?.resourceVersion },
            volumeSnapshotsSupported: k.volumeSnapshotsSupported,
            restart: k.restart.map((r) => ({ kind: r.kind, name: r.name, resourceVersion: r.resourceVersion })),
          },
    secrets: observation.secrets.map((s) => ({ role: s.role, reference: s.reference, exists: s.exists, version: s.version })),
    appDatabase: {
      layout: observation.appDatabase.layout,
      schemas: observation.appDatabase.schemas
        .filter((s) => s.usable)
        .map((s) => ({
          schema: s.schema,
          rows: inventory.get(s.schema)?.rows ?? s.rowCount ?? 0,
          withCredentials: inventory.get(s.schema)?.withCredentials ?? 0,
          checksum: checksums[s.schema],
        })),
    },
  };
}

/**
 * Reads the state a plan depends on: {@link observe} plus the live checksums of the credential columns.
 *
 * @example
 * const { observation, observed } = await observePlanState(env, connection);
 */
export async function observePlanState(env: EnvironmentConfig, deps: ObserveDependencies): Promise<{ observation: Observation; observed: PlanObserved }> {
  const observation = await observe(env, deps);
  const checksums = await liveChecksums({ db: deps.db, layout: env.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA });
  return { observation, observed: planObserved(observation, checksums) };
}

function chooseMode(report: DoctorReport, requested: BuildPlanOptions['mode']): { mode: PlanMode; reason: string } {
  if (requested === 'repair' || requested === 'full-reset') return { mode: requested, reason: `chosen by the operator (doctor: ${report.recommendation.action}: ${report.recommendation.reason})` };
  const { action, reason } = report.recommendation;
  if (action === 'repair' || action === 'full-reset') return { mode: action, reason: `doctor: ${reason}` };
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

function step(index: number, kind: StepKind, description: string, observed: PlanStep['observed'], undo?: string): PlanStep {
  return { id: `${String(index + 1).padStart(2, '0')}-${kind}`, kind, description, observed, undoable: undo !== undefined, ...(undo === undefined ? {} : { undo }) };
}

function repairSteps(observation: Observation, report: DoctorReport, verify: boolean): Omit<PlanStep, 'id'>[] {
  const withCredentials = observation.appDatabase.inventory.reduce((n, s) => n + s.withCredentials, 0);
  const t = report.totals;
  if (report.recommendation.action === 'nothing') return [];
  const steps: Omit<PlanStep, 'id'>[] = [
    {
      kind: 'snapshot-credentials',
      description: `Snapshot the Matrix credentials of ${withCredentials} app users into schema ${DEFAULT_OWN_SCHEMA} under the run id`,
      observed: { rowsWithCredentials: withCredentials, schemas: observation.appDatabase.inventory.length },
      undoable: true,
      undo: 'Drop the snapshot (matrix-reset creds restore can use it first)',
    },
    {
      kind: 'reprovision-existing-users',
      description:
        'For every stored credential whose Matrix user still exists: keep a token whoami accepts, otherwise mint one with admin login-as ' +
        'and write it with compare-and-set (never a password login, never a new Matrix user)',
      observed: { unknownToken: t.unknown_token, expired: t.expired, wrongOwner: t.wrong_owner, valid: t.valid, deactivatedSkipped: t.deactivated },
      undoable: true,
      undo: 'Restore the stored credentials from the snapshot (matrix-reset rollback RUN); the minted tokens stay valid until they expire',
    },
    {
      kind: 'clear-missing-users',
      description: 'Clear the stored credentials of rows whose Matrix user no longer exists, in batches, against their own snapshot: the app provisions them again',
      observed: { missingUser: t.missing_user },
      undoable: true,
      undo: 'Restore those rows from their snapshot (rows the app re-provisioned meanwhile are kept)',
    },
  ];
  if (verify) {
    steps.push({ kind: 'verify', description: 'Check every stored credential again (doctor); fail when any is still broken', observed: { broken: report.recommendation.evidence.broken }, undoable: false });
  }
  return steps;
}

function fullResetSteps(env: EnvironmentConfig, observation: Observation, verify: boolean): Omit<PlanStep, 'id'>[] {
  const k = observation.kubernetes;
  if (k === undefined || env.kubernetes === undefined) {
    throw new ResetError('unsupported', `A full reset of ${env.name} needs its Kubernetes target (StatefulSet and PVC); the environment has none`, {
      nextSteps: ['For a local Synapse, stop it, delete its data directory and run matrix-reset local bootstrap.', 'Or plan a repair: matrix-reset plan --mode repair.'],
    });
  }
  const withCredentials = observation.appDatabase.inventory.reduce((n, s) => n + s.withCredentials, 0);
  const pvc = k.pvc.name ?? '(none)';
  const writable = observation.secrets.filter((s) => s.role !== 'shared-secret');
  const scaledDeletes = k.statefulSet.retentionPolicy.whenScaled === 'Delete';
  const steps: Omit<PlanStep, 'id'>[] = [
    {
      kind: 'snapshot-credentials',
      description: `Snapshot the Matrix credentials of ${withCredentials} app users into schema ${DEFAULT_OWN_SCHEMA}`,
      observed: { rowsWithCredentials: withCredentials },
      undoable: true,
      undo: 'Drop the snapshot',
    },
    {
      kind: 'backup-secrets',
      description: `Record the current versions of ${writable.length} admin token/user targets (SSM versions are kept by SSM; other stores are copied into ${DEFAULT_OWN_SCHEMA})`,
      observed: { targets: writable.length },
      undoable: false,
    },
  ];
  // The right moment for the VolumeSnapshot is after the pod is gone (SQLite closed) and before the claim is
  // deleted; with whenScaled=Delete the scale-down itself deletes the claim, so then it can only be taken before.
  const volumeSnapshot: Omit<PlanStep, 'id'> | undefined = k.volumeSnapshotsSupported
    ? {
        kind: 'volume-snapshot',
        description: scaledDeletes
          ? `VolumeSnapshot of ${k.namespace}/${pvc} while Synapse still runs (whenScaled=Delete removes the claim on scale-down); wait readyToUse`
          : `VolumeSnapshot of ${k.namespace}/${pvc} once the pod is gone, before the claim is deleted; wait readyToUse`,
        observed: { pvc, pvcResourceVersion: k.pvc.state?.resourceVersion ?? null },
        undoable: false,
      }
    : undefined;
  if (volumeSnapshot && scaledDeletes) steps.push(volumeSnapshot);
  steps.push(
    {
      kind: 'scale-down',
      description: `Scale StatefulSet ${k.namespace}/${k.statefulSet.name} to 0 and wait until its pods are gone`,
      observed: { replicas: k.statefulSet.replicas, resourceVersion: k.statefulSet.resourceVersion },
      undoable: true,
      undo: `Scale it back to ${k.statefulSet.replicas}`,
    },
  );
  if (volumeSnapshot && !scaledDeletes) steps.push(volumeSnapshot);
  steps.push(
    {
      kind: 'delete-pvc',
      description:
        `Delete PVC ${k.namespace}/${pvc} and wait until it is gone (a 404 is success` +
        (scaledDeletes ? ': whenScaled=Delete removes it on scale-down' : '') +
        `); reclaim policy ${k.pvc.state?.reclaimPolicy ?? 'unknown'}`,
      observed: { pvc, exists: k.pvc.state?.exists ?? false, uid: k.pvc.state?.uid ?? null, resourceVersion: k.pvc.state?.resourceVersion ?? null, reclaimPolicy: k.pvc.state?.reclaimPolicy ?? null },
      undoable: false,
    },
    {
      kind: 'scale-up',
      description: `Scale StatefulSet ${k.namespace}/${k.statefulSet.name} to 1 and wait until it is ready (a new, empty claim is created)`,
      observed: { replicas: 1 },
      undoable: false,
    },
    {
      kind: 'bootstrap-admin',
      description: `Register ${env.synapse.adminUserId} with the shared secret (a fresh nonce per attempt) and mint its token`,
      observed: { adminUserId: env.synapse.adminUserId, sharedSecret: env.synapse.sharedSecret ?? null },
      undoable: false,
    },
    {
      kind: 'write-admin-token',
      description: `Write the admin token and user to ${writable.length} targets (put-if-different; External Secrets are synced through their source)`,
      observed: Object.fromEntries(writable.map((s) => [`${s.role} ${s.reference}`, s.version ?? null])),
      undoable: true,
      undo: 'Write the recorded previous versions back',
    },
    {
      kind: 'restart-workloads',
      description: `Rollout-restart ${k.restart.map((r) => `${r.kind} ${r.name}`).join(', ') || 'nothing'} and wait for the rollouts`,
      observed: Object.fromEntries(k.restart.map((r) => [`${r.kind} ${r.name}`, r.resourceVersion ?? null])),
      undoable: false,
    },
    {
      kind: 'clear-credentials',
      description: `Clear the stored credentials of ${withCredentials} app users in batches (against the snapshot): the app provisions them again`,
      observed: { rowsWithCredentials: withCredentials },
      undoable: true,
      undo: 'Restore from the snapshot (only useful together with the old Synapse data)',
    },
  );
  if (verify) steps.push({ kind: 'verify', description: 'Check the admin token and the stored credentials (doctor)', observed: {}, undoable: false });
  return steps;
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
  let steps: Omit<PlanStep, 'id'>[];
  if (mode === 'repair') {
    steps = repairSteps(observation, report, verify);
    if (report.adminToken !== 'valid' && steps.length > 0) {
      throw new ResetError('unsupported', `A repair mints tokens with the admin token, and the admin token of ${env.name} is ${report.adminToken}`, {
        nextSteps: ['Store a working admin token in the first adminToken target, or plan a full reset (it bootstraps a new admin).'],
      });
    }
    if (report.totals.deactivated > 0) warnings.push(`${report.totals.deactivated} rows name deactivated Matrix users: they are left alone (never reactivated).`);
    if (report.sample !== undefined) warnings.push(`The doctor checked a sample: ${report.sample.description}. The repair itself covers every row.`);
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
    steps = fullResetSteps(env, observation, verify);
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
    steps: steps.map((s, i) => step(i, s.kind, s.description, s.observed, s.undo)),
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

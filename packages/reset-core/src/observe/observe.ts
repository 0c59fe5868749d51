import type { ClaimState, Kube, RetentionRule, SecretManagerKind, WorkloadClaim, WorkloadKind, WorkloadSummary } from '@matrix-reset/k8s-ops';
import { isSecretsError, parseSecretReference, type SecretStore, type SecretStoreKind } from '@matrix-reset/secrets';
import type { AuthMode, SynapseClient } from '@matrix-reset/synapse-admin';
import { credentialInventory, DEFAULT_OWN_SCHEMA, discoverLayout, type AnyKysely, type SchemaInventory } from '@matrix-reset/user-creds';
import { homeserverLocation, readHomeserverDatabase, type SynapseStorage } from './observe-homeserver.ts';
import { observeSynapseDatabase, type SynapseDatabaseObservation } from './observe-synapse-database.ts';
import { unlistedSynapseWorkloads, type UnlistedSynapseWorkload } from './synapse-like-workloads.ts';
import type { EnvironmentConfig, KubernetesTarget } from '../config/reset-config.ts';
import { synapseDatabaseAccess } from '../connection/connect-synapse-database.ts';
import { firstReadyPod } from '../connection/workload-pods.ts';
import { deepFreeze } from '../support/deep-freeze.ts';


/** What observe reads through. Tests inject real clients; `connectEnvironment` builds them from the config. */
export interface ObserveDependencies {
  /** Undefined for environments without Kubernetes. */
  readonly kube: Kube | undefined;
  readonly synapse: SynapseClient;
  readonly db: AnyKysely;
  /** Opens the store a reference names (ssm:, k8s-secret:, dotenv:, env:, file:). */
  readonly openSecretStore: (reference: string) => SecretStore;
}

/** One place a secret lives, as it is now: never the value. */
export interface SecretTargetObservation {
  readonly role: 'admin-token' | 'admin-user' | 'shared-secret';
  readonly reference: string;
  readonly kind: SecretStoreKind;
  readonly writable: boolean;
  readonly exists: boolean;
  /** Opaque: SSM version number, Kubernetes resourceVersion, .env hash. */
  readonly version: string | undefined;
  /** For `k8s-secret:` targets: who else manages the Secret (a direct write would be reverted). */
  readonly managedBy: { readonly kind: SecretManagerKind; readonly owner: string; readonly evidence: string } | undefined;
  /** Why it could not be read (a `SecretsError` code and its scrubbed message). */
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

/** One Deployment or StatefulSet as observed: what a scale-down and the plan's freshness need. */
export interface WorkloadObservation {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  /** The pods it wants (`spec.replicas`). */
  readonly replicas: number;
  readonly readyReplicas: number;
  /** Its pod label selector (`app.kubernetes.io/component=synapse,...`). */
  readonly selector: string;
}

/** How the claim a reset deletes was chosen. */
export type ClaimChoice =
  /** `kubernetes.pvc` names it. */
  | 'configured'
  /** Its mount holds the SQLite database file. */
  | 'database'
  /** Its mount holds homeserver.yaml's `media_store_path`. */
  | 'media-store'
  /** It is mounted at /data. */
  | 'data-mount'
  /** It is the workload's only claim. */
  | 'only-claim'
  /** None could be chosen (no claim, or several and nothing to tell them apart). */
  | 'none';

/**
 * What a claim a reset deletes is recreated from, for a claim the pod template names in its volumes (no controller
 * recreates it, unlike a StatefulSet's claim template): its spec's settings and its metadata, never its volume.
 */
export interface ClaimRecreation {
  readonly storageClassName: string | undefined;
  readonly accessModes: readonly string[];
  /** `spec.resources.requests.storage` (`1Gi`). */
  readonly storage: string | undefined;
  readonly volumeMode: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** Its annotations but those the cluster writes (binding, provisioning, kubectl's last-applied copy). */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface KubernetesObservation {
  readonly context: string;
  readonly namespace: string;
  /** Synapse's main process. */
  readonly workload: WorkloadObservation & {
    /** A StatefulSet's claim retention policy; undefined for a Deployment. */
    readonly retentionPolicy: { readonly whenDeleted: RetentionRule; readonly whenScaled: RetentionRule } | undefined;
  };
  /** Every claim the workload's pods use (claim templates' and pod volumes'), with their mounts. */
  readonly claims: readonly WorkloadClaim[];
  /** The pod homeserver.yaml was read in and Synapse's first ready pod then (undefined: none ready). */
  readonly pod: string | undefined;
  /** Synapse's workers, as `kubernetes.workers.selector` finds them (never the main workload). */
  readonly workers: readonly WorkloadObservation[];
  /**
   * Workloads of the namespace that look like Synapse processes (they run `synapse.app.*` or mount homeserver.yaml's
   * Secret or ConfigMap) yet are neither the main workload, a listed worker nor restarted: a reset would not stop
   * them. Empty when the role may not list workloads.
   */
  readonly unlistedSynapseWorkloads: readonly UnlistedSynapseWorkload[];
  /** The claim a reset deletes: configured, or the one holding Synapse's data (see {@link ClaimChoice}). */
  readonly pvc: {
    readonly name: string | undefined;
    readonly derived: boolean;
    readonly chosenBy: ClaimChoice;
    /** `volumeClaimTemplate` (its controller recreates it) or `podVolume` (the reset recreates it); undefined: not one of the workload's. */
    readonly source: WorkloadClaim['source'] | undefined;
    readonly state: ClaimState | undefined;
    /** For a `podVolume` claim that exists: what the reset recreates it from. */
    readonly recreate: ClaimRecreation | undefined;
  };
  readonly volumeSnapshotsSupported: boolean;
  readonly restart: readonly { readonly kind: string; readonly name: string; readonly exists: boolean; readonly resourceVersion: string | undefined; readonly generation: number | undefined }[];
}

/** Everything a plan depends on, read-only, frozen, secret-free. */
export interface Observation {
  readonly environment: string;
  readonly observedAt: string;
  readonly synapse: {
    readonly baseUrl: string;
    readonly serverVersion: string;
    readonly authMode: AuthMode;
    readonly authEvidence: readonly { readonly probe: string; readonly indicates: string; readonly detail: string }[];
  };
  readonly storage: SynapseStorage;
  /** For a Postgres-backed Synapse (`storage.engine` psycopg2): its database, reached read-only, or why not. */
  readonly synapseDatabase: SynapseDatabaseObservation | undefined;
  readonly kubernetes: KubernetesObservation | undefined;
  readonly secrets: readonly SecretTargetObservation[];
  readonly appDatabase: {
    readonly layout: string;
    readonly schemas: readonly {
      readonly schema: string;
      readonly table: string;
      readonly usable: boolean;
      readonly problems: readonly string[];
      readonly rowCount: number | undefined;
      readonly columns: { readonly userId: boolean; readonly accessToken: boolean; readonly deviceId: boolean };
    }[];
    readonly inventory: readonly SchemaInventory[];
  };
}


async function observeSecret(role: SecretTargetObservation['role'], reference: string, deps: ObserveDependencies): Promise<SecretTargetObservation> {
  const store = deps.openSecretStore(reference);
  let exists = false;
  let version: string | undefined;
  let error: SecretTargetObservation['error'];
  try {
    const reading = await store.read();
    exists = reading.exists;
    version = reading.version;
  } catch (caught) {
    if (!isSecretsError(caught)) throw caught;
    error = { code: caught.code, message: caught.message };
  }
  let managedBy: SecretTargetObservation['managedBy'];
  const parsed = parseSecretReference(reference);
  if (parsed.scheme === 'k8s-secret' && deps.kube !== undefined) {
    const { isK8sOpsError, readKey } = await import('@matrix-reset/k8s-ops');
    try {
      const key = await readKey(deps.kube, { kind: 'Secret', namespace: parsed.namespace, name: parsed.name, key: parsed.key });
      if (key.managedBy !== undefined) managedBy = { kind: key.managedBy.kind, owner: key.managedBy.owner, evidence: key.managedBy.evidence };
    } catch (caught) {
      if (!isK8sOpsError(caught)) throw caught;
      error ??= { code: caught.code, message: caught.message };
    }
  }
  return { role, reference, kind: store.kind, writable: store.writable, exists, version, managedBy, error };
}

/** The workload, its claims and workers, read before homeserver.yaml (which says which claim holds the data). */
interface KubernetesReading {
  readonly workload: KubernetesObservation['workload'];
  readonly claims: readonly WorkloadClaim[];
  readonly workers: readonly WorkloadObservation[];
  readonly pod: string | undefined;
  /** Each claim volume's mount path in the main container (claim template or pod volume name -> path). */
  readonly claimMounts: Record<string, string>;
}

function workloadObservation(summary: WorkloadSummary): WorkloadObservation {
  const { kind, name, uid, resourceVersion, generation, replicas, readyReplicas, selector } = summary;
  return { kind, name, uid, resourceVersion, generation, replicas, readyReplicas, selector };
}

async function readKubernetes(env: EnvironmentConfig, kube: Kube): Promise<KubernetesReading> {
  const target = env.kubernetes!;
  const { namespace, workload: id } = target;
  // k8s-ops loads on use (the caller built `kube` with it), not with reset-core.
  const { callApi, listWorkloads, readWorkload, workloadClaims } = await import('@matrix-reset/k8s-ops');
  const summary = await readWorkload(kube, { namespace, workload: id });
  let retentionPolicy: KubernetesObservation['workload']['retentionPolicy'];
  if (id.kind === 'StatefulSet') {
    const sts = await callApi({ verb: 'get', resource: 'statefulsets.apps', namespace, name: id.name }, { idempotent: true }, () => kube.apps.readNamespacedStatefulSet({ name: id.name, namespace }));
    const rule = (value: string | undefined): RetentionRule => (value === 'Delete' ? 'Delete' : 'Retain');
    const policy = sts.spec?.persistentVolumeClaimRetentionPolicy;
    retentionPolicy = { whenDeleted: rule(policy?.whenDeleted), whenScaled: rule(policy?.whenScaled) };
  }
  const claims = await workloadClaims(kube, { namespace, workload: id });
  const claimMounts: Record<string, string> = {};
  for (const claim of claims) {
    const mount = claim.mounts.find((m) => !m.init) ?? claim.mounts[0];
    if (mount !== undefined) claimMounts[claim.volume] ??= mount.mountPath;
  }
  const workers: WorkloadObservation[] = [];
  if (target.workers !== undefined) {
    for await (const worker of listWorkloads(kube, { namespace, selector: target.workers.selector })) {
      if (worker.kind === id.kind && worker.name === id.name) continue;
      workers.push(workloadObservation(worker));
    }
  }
  const pod = env.synapse.portForward?.pod ?? (await firstReadyPod(kube, { namespace, workload: id }));
  return { workload: { ...workloadObservation(summary), retentionPolicy }, claims, workers, pod, claimMounts };
}

function under(path: string, mount: string): boolean {
  return path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
}

/**
 * The claim holding Synapse's data: the configured one; else for SQLite the one whose mount holds the database
 * file; else the one holding the media store, or mounted at /data; else the only one. A StatefulSet's template gives
 * a claim per pod: the first ordinal's is the one.
 */
function chooseClaim(target: KubernetesTarget, reading: KubernetesReading, storage: SynapseStorage, mediaStorePath: string | undefined): { name: string | undefined; chosenBy: ClaimChoice } {
  if (target.pvc !== undefined) return { name: target.pvc, chosenBy: 'configured' };
  const firstOf = (volume: string | undefined) => (volume === undefined ? undefined : reading.claims.find((c) => c.volume === volume)?.name);
  const mountedAt = (test: (mount: string) => boolean) => reading.claims.find((c) => c.mounts.some((m) => !m.init && test(m.mountPath)))?.volume;
  const byDatabase = storage.engine === 'sqlite3' ? firstOf(storage.onClaimTemplate) : undefined;
  if (byDatabase !== undefined) return { name: byDatabase, chosenBy: 'database' };
  const byMedia = mediaStorePath === undefined || !mediaStorePath.startsWith('/') ? undefined : firstOf(mountedAt((mount) => under(mediaStorePath, mount)));
  if (byMedia !== undefined) return { name: byMedia, chosenBy: 'media-store' };
  const byData = firstOf(mountedAt((mount) => mount.replace(/\/+$/, '') === '/data'));
  if (byData !== undefined) return { name: byData, chosenBy: 'data-mount' };
  const volumes = [...new Set(reading.claims.map((c) => c.volume))];
  if (volumes.length === 1) return { name: firstOf(volumes[0]), chosenBy: 'only-claim' };
  return { name: undefined, chosenBy: 'none' };
}

/** Annotations the cluster itself writes on a claim: not copied to its replacement. */
const SYSTEM_ANNOTATION = /^(pv\.kubernetes\.io\/|volume\.kubernetes\.io\/|volume\.beta\.kubernetes\.io\/|kubectl\.kubernetes\.io\/last-applied-configuration$)/;

async function claimRecreation(kube: Kube, namespace: string, name: string): Promise<ClaimRecreation | undefined> {
  const { readOrUndefined } = await import('@matrix-reset/k8s-ops');
  const pvc = await readOrUndefined({ verb: 'get', resource: 'persistentvolumeclaims', namespace, name }, () => kube.core.readNamespacedPersistentVolumeClaim({ name, namespace }));
  if (pvc === undefined) return undefined;
  const storage = pvc.spec?.resources?.requests?.['storage'];
  return {
    storageClassName: pvc.spec?.storageClassName,
    accessModes: [...(pvc.spec?.accessModes ?? [])],
    storage: storage === undefined ? undefined : String(storage),
    volumeMode: pvc.spec?.volumeMode,
    labels: { ...pvc.metadata?.labels },
    annotations: Object.fromEntries(Object.entries(pvc.metadata?.annotations ?? {}).filter(([key]) => !SYSTEM_ANNOTATION.test(key))),
  };
}

async function observeKubernetes(env: EnvironmentConfig, kube: Kube, reading: KubernetesReading, storage: SynapseStorage, mediaStorePath: string | undefined): Promise<KubernetesObservation> {
  const target = env.kubernetes!;
  const { namespace } = target;
  const { readClaimState, readOrUndefined, volumeSnapshotsSupported } = await import('@matrix-reset/k8s-ops');
  const { name: pvcName, chosenBy } = chooseClaim(target, reading, storage, mediaStorePath);
  const claim = reading.claims.find((c) => c.name === pvcName);
  let state: ClaimState | undefined;
  if (claim !== undefined) {
    const { source: _source, volume: _volume, ordinal: _ordinal, mounts: _mounts, ...claimState } = claim;
    state = claimState;
  } else if (pvcName !== undefined) {
    state = await readClaimState(kube, { namespace, name: pvcName });
  }
  const recreate = claim?.source === 'podVolume' && state?.exists === true ? await claimRecreation(kube, namespace, claim.name) : undefined;
  const restart = [];
  for (const workload of target.restart) {
    const request = { verb: 'get', resource: workload.kind === 'Deployment' ? 'deployments.apps' : 'statefulsets.apps', namespace, name: workload.name };
    const object =
      workload.kind === 'Deployment'
        ? await readOrUndefined(request, () => kube.apps.readNamespacedDeployment({ name: workload.name, namespace }))
        : await readOrUndefined(request, () => kube.apps.readNamespacedStatefulSet({ name: workload.name, namespace }));
    restart.push({ kind: workload.kind, name: workload.name, exists: object !== undefined, resourceVersion: object?.metadata?.resourceVersion, generation: object?.metadata?.generation });
  }
  return {
    context: target.context,
    namespace,
    workload: reading.workload,
    claims: reading.claims.map((c) => structuredClone(c)),
    pod: reading.pod,
    workers: reading.workers,
    pvc: { name: pvcName, derived: target.pvc === undefined, chosenBy, source: claim?.source, state, recreate },
    volumeSnapshotsSupported: await volumeSnapshotsSupported(kube),
    restart,
    unlistedSynapseWorkloads: await unlistedOrNone(kube, env, reading),
  };
}

async function unlistedOrNone(kube: Kube, env: EnvironmentConfig, reading: KubernetesReading): Promise<UnlistedSynapseWorkload[]> {
  const target = env.kubernetes!;
  const known = new Set([reading.workload, ...reading.workers, ...target.restart].map((w) => `${w.kind}/${w.name}`));
  const { isK8sOpsError } = await import('@matrix-reset/k8s-ops');
  try {
    return await unlistedSynapseWorkloads(kube, target.namespace, known, env.synapse.homeserverConfig);
  } catch (error) {
    // A hint only: a role that may not list every workload gets none.
    if (isK8sOpsError(error) && error.code === 'forbidden') return [];
    throw error;
  }
}

/**
 * Reads everything a reset plan depends on, and writes nothing: Synapse's version and auth mode, where it keeps its
 * data (SQLite on the PVC or an external Postgres: with the latter, deleting the PVC invalidates no token; that
 * database is then reached read-only, see `observeSynapseDatabase`, and one it cannot reach is reported, not thrown), the
 * workload (StatefulSet or Deployment), its claims and the one holding Synapse's data (retention and reclaim policy,
 * resourceVersions), its workers, VolumeSnapshot support, the workloads to
 * restart, each secret target (exists, version, who manages it) and the app database's layout and credential counts.
 * The result is frozen and holds no secret value.
 *
 * @example
 * ```ts
 * const env = resolveEnvironment(await loadResetConfig(), 'dev');
 * const connection = await connectEnvironment(env);
 * try {
 *   const seen = await observe(env, connection);
 *   console.log(seen.storage.engine, seen.kubernetes?.pvc.state?.reclaimPolicy);
 * } finally {
 *   await connection.close();
 * }
 * ```
 */
export async function observe(env: EnvironmentConfig, deps: ObserveDependencies): Promise<Observation> {
  const { synapse, kube, db } = deps;
  const observedAt = new Date().toISOString();
  const [auth, version] = await Promise.all([synapse.detectAuthMode(), synapse.admin.serverVersion()]);

  const reading = env.kubernetes !== undefined && kube !== undefined ? await readKubernetes(env, kube) : undefined;
  // In the pod observed ready just now (a Deployment's pods have generated names).
  const homeserver = await readHomeserverDatabase({ ...homeserverLocation(env), kube, ...(reading === undefined ? {} : { pod: reading.pod, claimMounts: reading.claimMounts }) });
  const storage = homeserver.storage;
  const kubernetes = reading === undefined || kube === undefined ? undefined : await observeKubernetes(env, kube, reading, storage, homeserver.mediaStorePath);
  const synapseDatabase = storage.engine === 'psycopg2' ? await observeSynapseDatabase(synapseDatabaseAccess(env, deps.openSecretStore, homeserver)) : undefined;

  const secrets: SecretTargetObservation[] = [];
  if (env.synapse.sharedSecret !== undefined) secrets.push(await observeSecret('shared-secret', env.synapse.sharedSecret, deps));
  for (const target of env.adminToken) {
    secrets.push(await observeSecret('admin-token', target.token, deps));
    if (target.user !== undefined) secrets.push(await observeSecret('admin-user', target.user, deps));
  }

  const layout = env.appDatabase.layout;
  const discovery = await discoverLayout(db, layout, { rowCounts: 'exact' });
  const inventory = await credentialInventory({ db, layout, ownSchema: DEFAULT_OWN_SCHEMA }, discovery);

  return deepFreeze({
    environment: env.name,
    observedAt,
    synapse: {
      baseUrl: synapse.baseUrl,
      serverVersion: version.serverVersion,
      authMode: auth.mode,
      authEvidence: auth.evidence.map((e) => ({ probe: e.probe, indicates: e.indicates, detail: e.detail })),
    },
    storage,
    synapseDatabase,
    kubernetes,
    secrets,
    appDatabase: {
      layout: layout.name,
      schemas: discovery.schemas.map((s) => ({
        schema: s.schema,
        table: s.table,
        usable: s.usable,
        problems: [...s.problems],
        rowCount: s.rowCount,
        columns: { userId: s.userId.present, accessToken: s.accessToken.present, deviceId: s.deviceId.present },
      })),
      inventory: inventory.map((i) => structuredClone(i)),
    },
  });
}

import type { ClaimState, Kube, SecretManagerKind, StatefulSetShape } from '@matrix-reset/k8s-ops';
import { isSecretsError, parseSecretReference, type SecretStore, type SecretStoreKind } from '@matrix-reset/secrets';
import type { AuthMode, SynapseClient } from '@matrix-reset/synapse-admin';
import { credentialInventory, DEFAULT_OWN_SCHEMA, discoverLayout, type AnyKysely, type SchemaInventory } from '@matrix-reset/user-creds';
import { homeserverLocation, readHomeserverDatabase, type SynapseStorage } from './observe-homeserver.ts';
import { observeSynapseDatabase, type SynapseDatabaseObservation } from './observe-synapse-database.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { synapseDatabaseAccess } from '../connection/connect-synapse-database.ts';
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

export interface KubernetesObservation {
  readonly context: string;
  readonly namespace: string;
  readonly statefulSet: StatefulSetShape;
  /** The claim a reset deletes: configured, or derived from the first claim template for ordinal 0. */
  readonly pvc: { readonly name: string | undefined; readonly derived: boolean; readonly state: ClaimState | undefined };
  readonly volumeSnapshotsSupported: boolean;
  readonly restart: readonly { readonly kind: string; readonly name: string; readonly exists: boolean; readonly resourceVersion: string | undefined }[];
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

async function observeKubernetes(env: EnvironmentConfig, kube: Kube): Promise<{ observation: KubernetesObservation; claimMounts: Record<string, string> }> {
  const target = env.kubernetes!;
  const { namespace, statefulSet: name } = target;
  // k8s-ops loads on use (the caller built `kube` with it), not with reset-core.
  const { callApi, readClaimState, readOrUndefined, readStatefulSetShape, volumeSnapshotsSupported } = await import('@matrix-reset/k8s-ops');
  const shape = await readStatefulSetShape(kube, { namespace, name });
  const sts: Awaited<ReturnType<Kube['apps']['readNamespacedStatefulSet']>> = await callApi({ verb: 'get', resource: 'statefulsets.apps', namespace, name }, { idempotent: true }, () =>
    kube.apps.readNamespacedStatefulSet({ name, namespace }),
  );
  const claimMounts: Record<string, string> = {};
  for (const container of sts.spec?.template.spec?.containers ?? []) {
    for (const mount of container.volumeMounts ?? []) if (shape.volumeClaimTemplates.includes(mount.name)) claimMounts[mount.name] ??= mount.mountPath;
  }
  const derivedName = shape.volumeClaimTemplates[0] === undefined ? undefined : `${shape.volumeClaimTemplates[0]}-${name}-0`;
  const pvcName = target.pvc ?? derivedName;
  let state = shape.claims.find((claim) => claim.name === pvcName);
  if (state === undefined && pvcName !== undefined) state = await readClaimState(kube, { namespace, name: pvcName });
  const restart = [];
  for (const workload of target.restart) {
    const request = { verb: 'get', resource: workload.kind === 'Deployment' ? 'deployments.apps' : 'statefulsets.apps', namespace, name: workload.name };
    const object =
      workload.kind === 'Deployment'
        ? await readOrUndefined(request, () => kube.apps.readNamespacedDeployment({ name: workload.name, namespace }))
        : await readOrUndefined(request, () => kube.apps.readNamespacedStatefulSet({ name: workload.name, namespace }));
    restart.push({ kind: workload.kind, name: workload.name, exists: object !== undefined, resourceVersion: object?.metadata?.resourceVersion });
  }
  return {
    observation: {
      context: target.context,
      namespace,
      statefulSet: structuredClone(shape),
      pvc: { name: pvcName, derived: target.pvc === undefined, state },
      volumeSnapshotsSupported: await volumeSnapshotsSupported(kube),
      restart,
    },
    claimMounts,
  };
}

/**
 * Reads everything a reset plan depends on, and writes nothing: Synapse's version and auth mode, where it keeps its
 * data (SQLite on the PVC or an external Postgres: with the latter, deleting the PVC invalidates no token; that
 * database is then reached read-only, see `observeSynapseDatabase`, and one it cannot reach is reported, not thrown), the
 * StatefulSet and its claim (retention and reclaim policy, resourceVersions), VolumeSnapshot support, the workloads to
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

  let kubernetes: KubernetesObservation | undefined;
  let claimMounts: Record<string, string> = {};
  if (env.kubernetes !== undefined && kube !== undefined) ({ observation: kubernetes, claimMounts } = await observeKubernetes(env, kube));

  const homeserver = await readHomeserverDatabase({ ...homeserverLocation(env), kube, claimMounts });
  const storage = homeserver.storage;
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

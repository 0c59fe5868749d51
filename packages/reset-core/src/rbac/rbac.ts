import { stringify } from 'yaml';
// The permissions table only: the package index would load @kubernetes/client-node (~85 MB) with reset-core.
import { permissionsFor, type K8sOperation, type PolicyRule } from '@matrix-reset/k8s-ops/permissions';
import { ResetError } from '../reset-error.ts';

/** Default name of the ServiceAccount, Role and RoleBinding. */
export const DEFAULT_RBAC_NAME = 'matrix-reset';

const LABELS = Object.freeze({ 'app.kubernetes.io/name': 'matrix-reset', 'app.kubernetes.io/component': 'rbac' });

/**
 * The Kubernetes operations a full reset performs: read Synapse's workload (StatefulSet or Deployment), its claims
 * and its workers, scale them down, wait for their pods, delete
 * (and optionally snapshot) its volume claim and recreate one a Deployment's pod template names, scale up, restart and wait for the app, read and write Secrets, force
 * an External Secrets sync (when used), exec and port-forward into the Synapse pod, and hold a Lease as the lock.
 *
 * @example
 * ```ts
 * const operations = fullResetOperations({ snapshots: true, externalSecrets: false });
 * ```
 */
export function fullResetOperations(options: { snapshots?: boolean; externalSecrets?: boolean } = {}): K8sOperation[] {
  return [
    'readWorkload',
    'workloadClaims',
    'listWorkloads',
    'scaleWorkload',
    'waitForWorkloadPods',
    'waitForWorkloadReady',
    'deletePersistentVolumeClaim',
    'createPersistentVolumeClaim',
    ...(options.snapshots === true ? (['snapshotPersistentVolumeClaim'] as const) : []),
    'rolloutRestart',
    'waitForRollout',
    'readKey',
    'writeKey',
    ...(options.externalSecrets === true ? (['forceExternalSecretSync'] as const) : []),
    'execInPod',
    'portForwardToPod',
    'acquireLeaseLock',
  ];
}

export interface RbacOptions {
  /** Namespace Synapse and the app run in; the Role and RoleBinding live there. */
  namespace: string;
  /** ServiceAccount matrix-reset runs as (default `matrix-reset`). */
  serviceAccount?: string;
  /** Name of the Role and RoleBinding (default `matrix-reset`). */
  name?: string;
  /** Exactly the operations the configured plan runs; default {@link fullResetOperations} with the two flags below. */
  operations?: readonly K8sOperation[];
  /** With the default operations: the plan takes VolumeSnapshots before deleting the claim. */
  snapshots?: boolean;
  /** With the default operations: the app's Secret comes from External Secrets (forced sync). */
  externalSecrets?: boolean;
}

interface ObjectMeta {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
}

export interface ServiceAccountManifest {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
  metadata: ObjectMeta;
}

export interface RoleManifest {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role' | 'ClusterRole';
  metadata: ObjectMeta;
  rules: PolicyRule[];
}

export interface RoleBindingManifest {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  metadata: ObjectMeta;
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'Role' | 'ClusterRole'; name: string };
  subjects: { kind: 'ServiceAccount'; name: string; namespace: string }[];
}

/** What {@link rbacManifests} returns: the namespaced objects, and the optional cluster-scoped ones kept apart. */
export interface RbacManifests {
  readonly operations: readonly K8sOperation[];
  readonly serviceAccount: ServiceAccountManifest;
  readonly role: RoleManifest;
  readonly roleBinding: RoleBindingManifest;
  /** ServiceAccount, Role and RoleBinding as one multi-document YAML, for `kubectl apply -f -`. */
  readonly yaml: string;
  /**
   * Read access to PersistentVolumes (cluster-scoped), so the plan can tell whether deleting the claim deletes the
   * volume (`persistentVolumeReclaimPolicy`). Optional: without it the reclaim policy is reported as unknown.
   * Undefined when the operations do not read the workload's claims.
   */
  readonly cluster: { readonly clusterRole: RoleManifest; readonly clusterRoleBinding: RoleBindingManifest; readonly yaml: string; readonly note: string } | undefined;
}

/**
 * A least-privilege Role and RoleBinding for the configured plan, from k8s-ops' `OPERATION_PERMISSIONS` (merged by
 * `permissionsFor`): no wildcard verbs or resources, nothing an operation does not need. The ClusterRole for reading
 * PersistentVolumes is returned separately (`cluster`), since applying it needs cluster-wide rights.
 *
 * @example
 * ```ts
 * const manifests = rbacManifests({ namespace: 'openmeet-dev', snapshots: false, externalSecrets: true });
 * process.stdout.write(manifests.yaml); // kubectl apply -f -
 * if (manifests.cluster) process.stderr.write(`${manifests.cluster.note}\n`);
 * ```
 */
export function rbacManifests(options: RbacOptions): RbacManifests {
  const namespace = dnsName('namespace', options.namespace);
  const name = dnsName('name', options.name ?? DEFAULT_RBAC_NAME);
  const serviceAccountName = dnsName('serviceAccount', options.serviceAccount ?? DEFAULT_RBAC_NAME);
  const operations = Object.freeze([...new Set(options.operations ?? fullResetOperations(options))]);
  const subject = { kind: 'ServiceAccount' as const, name: serviceAccountName, namespace };

  const serviceAccount: ServiceAccountManifest = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccountName, namespace, labels: { ...LABELS } } };
  const role: RoleManifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: { ...LABELS } },
    rules: permissionsFor(operations),
  };
  const roleBinding: RoleBindingManifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: { ...LABELS } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [subject],
  };

  let cluster: RbacManifests['cluster'];
  if (operations.includes('readStatefulSetShape') || operations.includes('workloadClaims')) {
    const clusterName = `${name}-${namespace}-read-persistentvolumes`;
    const clusterRole: RoleManifest = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterName, labels: { ...LABELS } },
      rules: [{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get'] }],
    };
    const clusterRoleBinding: RoleBindingManifest = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterName, labels: { ...LABELS } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
      subjects: [subject],
    };
    cluster = Object.freeze({
      clusterRole,
      clusterRoleBinding,
      yaml: toYaml([clusterRole, clusterRoleBinding]),
      note:
        `Optional, applied by a cluster admin: ClusterRole ${clusterName} lets ${namespace}/${serviceAccountName} read PersistentVolumes ` +
        "(get), so the plan can say whether deleting Synapse's claim also deletes its volume. Without it the reclaim policy shows as unknown.",
    });
  }

  return Object.freeze({ operations, serviceAccount, role, roleBinding, yaml: toYaml([serviceAccount, role, roleBinding]), cluster });
}

function toYaml(objects: readonly object[]): string {
  return objects.map((object) => stringify(object)).join('---\n');
}

function dnsName(what: string, value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw new ResetError('config_invalid', `${what} ${JSON.stringify(value)} is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63)`, {
      nextSteps: [`For example: ${what === 'namespace' ? 'openmeet-dev' : 'matrix-reset'}`],
    });
  }
  return value;
}

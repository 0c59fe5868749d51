/** One RBAC rule, as in a Role. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The operations k8s-ops offers, by name. */
export type K8sOperation =
  | 'readStatefulSetShape'
  | 'scaleStatefulSet'
  | 'waitForStatefulSetPods'
  | 'readWorkload'
  | 'listWorkloads'
  | 'workloadClaims'
  | 'scaleWorkload'
  | 'waitForWorkloadPods'
  | 'waitForWorkloadReady'
  | 'deletePersistentVolumeClaim'
  | 'createPersistentVolumeClaim'
  | 'snapshotPersistentVolumeClaim'
  | 'rolloutRestart'
  | 'waitForRollout'
  | 'readKey'
  | 'writeKey'
  | 'forceExternalSecretSync'
  | 'execInPod'
  | 'portForwardToPod'
  | 'acquireLeaseLock';

/**
 * The namespaced permissions each operation needs. PersistentVolumes are cluster-scoped: reading their reclaim
 * policy needs a ClusterRole (`get` on `persistentvolumes`); without it the shape reports the policy as unknown.
 */
export const OPERATION_PERMISSIONS: Readonly<Record<K8sOperation, readonly PolicyRule[]>> = Object.freeze({
  readStatefulSetShape: [
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
  ],
  scaleStatefulSet: [{ apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update'] }],
  waitForStatefulSetPods: [
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
  ],
  readWorkload: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get'] }],
  listWorkloads: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['list'] }],
  workloadClaims: [
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
  ],
  scaleWorkload: [{ apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update'] }],
  waitForWorkloadPods: [
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
  ],
  waitForWorkloadReady: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] }],
  deletePersistentVolumeClaim: [
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'delete'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  ],
  // Recreating a claim a pod template names (a Deployment's), which no controller recreates after it is deleted.
  createPersistentVolumeClaim: [{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'create'] }],
  snapshotPersistentVolumeClaim: [{ apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['get', 'list', 'watch', 'create'] }],
  rolloutRestart: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'patch'] }],
  waitForRollout: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['list', 'watch'] }],
  readKey: [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get'] }],
  writeKey: [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'create', 'patch'] }],
  forceExternalSecretSync: [
    { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['get', 'patch'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
  ],
  execInPod: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] }],
  portForwardToPod: [{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create', 'get'] }],
  acquireLeaseLock: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
});

/**
 * Merges the permissions of a set of operations into the fewest Role rules (one per API group and resource set),
 * verbs sorted, for printing a least-privilege Role.
 *
 * @example
 * permissionsFor(['scaleStatefulSet', 'deletePersistentVolumeClaim']);
 * // [{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['delete', 'get', 'list', 'watch'] }, ...]
 */
export function permissionsFor(operations: Iterable<K8sOperation>): PolicyRule[] {
  const verbsByResource = new Map<string, Set<string>>();
  for (const operation of operations) {
    for (const rule of OPERATION_PERMISSIONS[operation]) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          const key = `${group}\u0000${resource}`;
          const verbs = verbsByResource.get(key) ?? new Set<string>();
          for (const verb of rule.verbs) verbs.add(verb);
          verbsByResource.set(key, verbs);
        }
      }
    }
  }
  // Group resources of one API group that need exactly the same verbs into one rule.
  const rules = new Map<string, PolicyRule>();
  for (const [key, verbs] of [...verbsByResource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [group, resource] = key.split('\u0000') as [string, string];
    const sortedVerbs = [...verbs].sort();
    const ruleKey = `${group}\u0000${sortedVerbs.join(',')}`;
    const rule = rules.get(ruleKey) ?? { apiGroups: [group], resources: [], verbs: sortedVerbs };
    rule.resources.push(resource);
    rules.set(ruleKey, rule);
  }
  return [...rules.values()];
}

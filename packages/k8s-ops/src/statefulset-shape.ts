import type { V1LabelSelector, V1StatefulSet } from '@kubernetes/client-node';
import { callApi, readOrUndefined } from './call-api.ts';
import type { Kube } from './kube-config.ts';

export type RetentionRule = 'Retain' | 'Delete';

/** One PersistentVolumeClaim a StatefulSet's ordinal owns, as it is now. */
export interface ClaimState {
  name: string;
  exists: boolean;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  phase?: string | undefined;
  terminating: boolean;
  storageClassName?: string | undefined;
  volumeName?: string | undefined;
  /** From the bound PersistentVolume: `Delete` destroys the disk with the claim, `Retain` keeps a Released PV. */
  reclaimPolicy?: string | undefined;
}

/** What a reset needs to know about a StatefulSet before touching it. */
export interface StatefulSetShape {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  replicas: number;
  readyReplicas: number;
  /** The pod label selector as a string (`app=matrix`). */
  selector: string;
  podNames: string[];
  volumeClaimTemplates: string[];
  retentionPolicy: { whenDeleted: RetentionRule; whenScaled: RetentionRule };
  /** The claims of ordinal 0 .. max(replicas, 1) - 1, for every template. */
  claims: ClaimState[];
}

/** Renders a LabelSelector (matchLabels and matchExpressions) as the string the API takes. */
export function labelSelectorString(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function rule(value: string | undefined): RetentionRule {
  return value === 'Delete' ? 'Delete' : 'Retain';
}

/**
 * Reads one PersistentVolumeClaim's state, with the reclaim policy of the volume it is bound to (which decides
 * whether deleting the claim destroys the data). A missing claim is `exists: false`, not an error.
 *
 * @example
 * const claim = await readClaimState(kube, { namespace: 'openmeet-dev', name: 'data-matrix-0' });
 */
export async function readClaimState(kube: Kube, target: { namespace: string; name: string }): Promise<ClaimState> {
  const { namespace, name } = target;
  const pvc = await readOrUndefined({ verb: 'get', resource: 'persistentvolumeclaims', namespace, name }, () =>
    kube.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
  );
  const volumeName = pvc?.spec?.volumeName;
  let reclaimPolicy: string | undefined;
  if (volumeName) {
    const pv = await readOrUndefined({ verb: 'get', resource: 'persistentvolumes', name: volumeName }, () => kube.core.readPersistentVolume({ name: volumeName }));
    reclaimPolicy = pv?.spec?.persistentVolumeReclaimPolicy;
  }
  return {
    name,
    exists: pvc !== undefined,
    uid: pvc?.metadata?.uid,
    resourceVersion: pvc?.metadata?.resourceVersion,
    phase: pvc?.status?.phase,
    terminating: pvc?.metadata?.deletionTimestamp != null,
    storageClassName: pvc?.spec?.storageClassName,
    volumeName,
    reclaimPolicy,
  };
}

/**
 * Reads a StatefulSet's shape: replicas, pods, claim templates, retention policy, and the state and reclaim policy
 * of every claim it owns.
 *
 * @example
 * const shape = await readStatefulSetShape(kube, { namespace: 'openmeet-dev', name: 'matrix' });
 * // shape.claims[0] -> { name: 'data-matrix-0', exists: true, reclaimPolicy: 'Delete', ... }
 */
export async function readStatefulSetShape(kube: Kube, target: { namespace: string; name: string }): Promise<StatefulSetShape> {
  const { namespace, name } = target;
  const sts: V1StatefulSet = await callApi({ verb: 'get', resource: 'statefulsets.apps', namespace, name }, { idempotent: true }, () =>
    kube.apps.readNamespacedStatefulSet({ name, namespace }),
  );
  const replicas = sts.spec?.replicas ?? 1;
  const templates = (sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name ?? '');
  const ordinals = Array.from({ length: Math.max(replicas, 1) }, (_, i) => i);
  const claims: ClaimState[] = [];
  for (const template of templates) {
    for (const ordinal of ordinals) {
      claims.push(await readClaimState(kube, { namespace, name: `${template}-${name}-${ordinal}` }));
    }
  }
  return Object.freeze({
    namespace,
    name,
    uid: sts.metadata?.uid ?? '',
    resourceVersion: sts.metadata?.resourceVersion ?? '',
    generation: sts.metadata?.generation ?? 0,
    replicas,
    readyReplicas: sts.status?.readyReplicas ?? 0,
    selector: labelSelectorString(sts.spec?.selector),
    podNames: Array.from({ length: replicas }, (_, i) => `${name}-${i}`),
    volumeClaimTemplates: templates,
    retentionPolicy: {
      whenDeleted: rule(sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted),
      whenScaled: rule(sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled),
    },
    claims,
  });
}

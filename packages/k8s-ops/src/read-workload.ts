import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { callApi } from './call-api.ts';
import type { Kube } from './kube-config.ts';
import { labelSelectorString } from './statefulset-shape.ts';
import { checkWorkloadKind, workloadNotFound, workloadResource, type WorkloadId, type WorkloadKind } from './workload-ref.ts';

/** A Deployment or StatefulSet as the API server answered it, tagged with its kind. */
export type WorkloadObject = { readonly kind: 'Deployment'; readonly object: V1Deployment } | { readonly kind: 'StatefulSet'; readonly object: V1StatefulSet };

/** What a reset needs to know about a Deployment or StatefulSet. */
export interface WorkloadSummary {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  /** The pods it wants (`spec.replicas`; the API server defaults it to 1). */
  readonly replicas: number;
  /** Its pods that are ready now (`status.readyReplicas`). */
  readonly readyReplicas: number;
  /** The pod label selector as the API takes it (`app.kubernetes.io/component=synapse,app.kubernetes.io/instance=matrix`). */
  readonly selector: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Reads a workload; a missing one is `not_found` naming it and the namespace, an unknown kind `workload_kind_unknown`. */
export async function readWorkloadObject(kube: Kube, namespace: string, workload: WorkloadId): Promise<WorkloadObject> {
  const kind = checkWorkloadKind(workload);
  const { name } = workload;
  const request = { verb: 'get', resource: workloadResource(kind), namespace, name };
  try {
    if (kind === 'Deployment') {
      return { kind, object: await callApi(request, { idempotent: true }, () => kube.apps.readNamespacedDeployment({ name, namespace })) };
    }
    return { kind, object: await callApi(request, { idempotent: true }, () => kube.apps.readNamespacedStatefulSet({ name, namespace })) };
  } catch (error) {
    throw workloadNotFound(error, namespace, { kind, name });
  }
}

/** The summary of a workload object the API server answered (from a read, a list or a watch). */
export function summarizeWorkload({ kind, object }: WorkloadObject): WorkloadSummary {
  return Object.freeze({
    kind,
    namespace: object.metadata?.namespace ?? '',
    name: object.metadata?.name ?? '',
    uid: object.metadata?.uid ?? '',
    resourceVersion: object.metadata?.resourceVersion ?? '',
    generation: object.metadata?.generation ?? 0,
    replicas: object.spec?.replicas ?? 1,
    readyReplicas: object.status?.readyReplicas ?? 0,
    selector: labelSelectorString(object.spec?.selector),
    labels: Object.freeze({ ...object.metadata?.labels }),
  });
}

/**
 * Reads a Deployment's or StatefulSet's summary: replicas wanted and ready, pod selector, uid and resourceVersion
 * (for a plan's observed state). A missing workload is a `not_found` K8sOpsError naming it and the namespace.
 *
 * @example
 * const synapse = await readWorkload(kube, { namespace: 'matrix', workload: { kind: 'Deployment', name: 'matrix-synapse' } });
 * // { kind: 'Deployment', name: 'matrix-synapse', replicas: 1, readyReplicas: 1, selector: 'app.kubernetes.io/component=synapse,...', ... }
 */
export async function readWorkload(kube: Kube, target: { namespace: string; workload: WorkloadId }): Promise<WorkloadSummary> {
  return summarizeWorkload(await readWorkloadObject(kube, target.namespace, target.workload));
}

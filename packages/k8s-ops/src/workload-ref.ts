import { K8sOpsError, isK8sOpsError } from './k8s-ops-error.ts';

/** The workload kinds Synapse (and its workers) run as. */
export type WorkloadKind = 'Deployment' | 'StatefulSet';

/** Every {@link WorkloadKind}, for validating a kind read from a config file. */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = Object.freeze(['StatefulSet', 'Deployment'] as const);

/** A workload by kind and name, in a namespace the caller names beside it: `{ kind: 'Deployment', name: 'matrix-synapse' }`. */
export interface WorkloadId {
  kind: WorkloadKind;
  name: string;
}

/** A workload by kind, namespace and name. */
export interface WorkloadRef extends WorkloadId {
  namespace: string;
}

/** The plural resource of a kind, with its group, as a request context names it. */
export function workloadResource(kind: WorkloadKind): 'deployments.apps' | 'statefulsets.apps' {
  return kind === 'Deployment' ? 'deployments.apps' : 'statefulsets.apps';
}

/**
 * The workload's kind, checked: anything but `StatefulSet` or `Deployment` (a DaemonSet, a typo, a kind from a YAML
 * file in the wrong case) is a `workload_kind_unknown` K8sOpsError, before any request.
 */
export function checkWorkloadKind(workload: { kind: unknown; name?: unknown }): WorkloadKind {
  const kind = workload.kind;
  if (kind === 'StatefulSet' || kind === 'Deployment') return kind;
  const shown = typeof kind === 'string' ? JSON.stringify(kind) : String(kind);
  const meant = typeof kind === 'string' ? WORKLOAD_KINDS.find((k) => k.toLowerCase() === kind.toLowerCase()) : undefined;
  const named = typeof workload.name === 'string' ? ` (workload ${workload.name})` : '';
  throw new K8sOpsError('workload_kind_unknown', `Unknown workload kind ${shown}${named}: Synapse runs as a StatefulSet or a Deployment`, {
    nextSteps: [
      meant !== undefined ? `Write the kind as ${meant} (kinds are case-sensitive).` : `Set the kind to ${WORKLOAD_KINDS.join(' or ')}.`,
      'Find the kind of a workload with: kubectl get deployments,statefulsets -n <namespace>',
    ],
  });
}

/**
 * Rewrites a 404 on a workload (or its scale subresource) into a `not_found` error that names the workload and its
 * namespace; any other error passes through.
 */
export function workloadNotFound(error: unknown, namespace: string, workload: WorkloadId): unknown {
  if (!isK8sOpsError(error, 'not_found')) return error;
  return new K8sOpsError('not_found', `${workload.kind} ${workload.name} does not exist in namespace ${namespace}`, {
    status: error.status,
    reason: error.reason,
    request: error.request,
    cause: error,
    nextSteps: [
      `List the workloads there: kubectl get deployments,statefulsets -n ${namespace}`,
      'Check the workload kind, name and namespace in your configuration, and that the kube context points at the right cluster.',
    ],
  });
}

import type { Kube, WorkloadId } from '@matrix-reset/k8s-ops';
import { ResetError } from '../reset-error.ts';
import { loadK8sOps } from './k8s-ops-lazy.ts';

type Pod = Awaited<ReturnType<Kube['core']['listNamespacedPod']>>['items'][number];

/**
 * Whether a pod (of those the workload's selector matches) is the workload's own: a StatefulSet's are
 * `<name>-<ordinal>`; a Deployment's are controlled by one of its ReplicaSets, `<deployment>-<pod-template-hash>`
 * (a worker's pods, which the selector may also match, are not).
 */
function ownedBy(workload: WorkloadId, pod: Pod): boolean {
  const name = pod.metadata?.name ?? '';
  if (workload.kind === 'StatefulSet') return name.startsWith(`${workload.name}-`) && /^\d+$/.test(name.slice(workload.name.length + 1));
  const controller = pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  return controller?.kind === 'ReplicaSet' && hash !== undefined && controller.name === `${workload.name}-${hash}`;
}

function ready(pod: Pod): boolean {
  return pod.metadata?.deletionTimestamp == null && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** StatefulSet pods by ordinal, a Deployment's oldest first (then by name): the same answer on every call while nothing changes. */
function order(workload: WorkloadId): (a: Pod, b: Pod) => number {
  const ordinal = (pod: Pod) => Number((pod.metadata?.name ?? '').slice(workload.name.length + 1));
  const created = (pod: Pod) => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return workload.kind === 'StatefulSet'
    ? (a, b) => ordinal(a) - ordinal(b)
    : (a, b) => created(a) - created(b) || ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1);
}

/**
 * The first ready pod of Synapse's workload (a StatefulSet's lowest ordinal; a Deployment's pods have generated names,
 * so they are found by the workload's selector and their ReplicaSet), or undefined when none is ready. For exec
 * (homeserver.yaml, the shared secret) and the port-forward.
 *
 * @example
 * const pod = await firstReadyPod(kube, { namespace: 'matrix', workload: { kind: 'Deployment', name: 'matrix-synapse' } });
 */
export async function firstReadyPod(kube: Kube, target: { namespace: string; workload: WorkloadId }): Promise<string | undefined> {
  const { namespace, workload } = target;
  const { callApi, readWorkload } = await loadK8sOps();
  const { selector } = await readWorkload(kube, target);
  if (selector === '') return undefined;
  const pods = await callApi({ verb: 'list', resource: 'pods', namespace }, { idempotent: true }, () => kube.core.listNamespacedPod({ namespace, labelSelector: selector }));
  return pods.items
    .filter((pod) => ownedBy(workload, pod) && ready(pod))
    .sort(order(workload))[0]?.metadata?.name;
}

/**
 * {@link firstReadyPod}, or `environment_incapable` naming the workload when none of its pods is ready.
 *
 * @example
 * const pod = await requireReadyPod(kube, { namespace: 'matrix', workload: { kind: 'Deployment', name: 'matrix-synapse' } });
 */
export async function requireReadyPod(kube: Kube, target: { namespace: string; workload: WorkloadId }): Promise<string> {
  const pod = await firstReadyPod(kube, target);
  if (pod !== undefined) return pod;
  const { namespace, workload } = target;
  throw new ResetError('environment_incapable', `No pod of ${workload.kind} ${namespace}/${workload.name} is ready: Synapse cannot be reached in it`, {
    nextSteps: [
      `Look at its pods: kubectl -n ${namespace} get pods -l "$(kubectl -n ${namespace} get ${workload.kind.toLowerCase()} ${workload.name} -o jsonpath='{.spec.selector.matchLabels}')"`,
      'Once Synapse is running again, run the command again (or resume the run).',
    ],
  });
}

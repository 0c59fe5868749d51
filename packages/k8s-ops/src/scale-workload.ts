import type { V1Deployment, V1Pod, V1Scale, V1StatefulSet } from '@kubernetes/client-node';
import { callApi } from './call-api.ts';
import { K8sOpsError, isK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { readWorkloadObject, summarizeWorkload, type WorkloadObject, type WorkloadSummary } from './read-workload.ts';
import { deploymentRolloutStatus, rolloutWaitingFor, statefulSetRolloutStatus } from './rollout-status.ts';
import { labelSelectorString } from './statefulset-shape.ts';
import { waitForObjects, type WaitProgress } from './wait-for-objects.ts';
import { checkWorkloadKind, workloadNotFound, workloadResource, type WorkloadId, type WorkloadKind } from './workload-ref.ts';

export interface ScaleWorkloadOptions {
  namespace: string;
  workload: WorkloadId;
  replicas: number;
  /**
   * Strict mode: the Scale must still be at this resourceVersion (what a plan observed), or the call fails with
   * `stale_precondition` instead of retrying from a fresh read.
   */
  expectedResourceVersion?: string;
  /** How many 409s to absorb by reading again (default 3). */
  conflictRetries?: number;
}

/** {@link scaleStatefulSet}'s options: a StatefulSet by name. */
export interface ScaleOptions extends Omit<ScaleWorkloadOptions, 'workload'> {
  name: string;
}

export interface ScaleResult {
  previousReplicas: number;
  replicas: number;
  /** False when the workload already had the wanted replicas (nothing was written). */
  changed: boolean;
  resourceVersion: string;
}

function readScale(kube: Kube, kind: WorkloadKind, namespace: string, name: string): Promise<V1Scale> {
  return kind === 'Deployment' ? kube.apps.readNamespacedDeploymentScale({ name, namespace }) : kube.apps.readNamespacedStatefulSetScale({ name, namespace });
}

function replaceScale(kube: Kube, kind: WorkloadKind, namespace: string, body: V1Scale & { metadata: { name: string } }): Promise<V1Scale> {
  const name = body.metadata.name;
  return kind === 'Deployment'
    ? kube.apps.replaceNamespacedDeploymentScale({ name, namespace, body })
    : kube.apps.replaceNamespacedStatefulSetScale({ name, namespace, body });
}

/**
 * Scales a Deployment or StatefulSet through its `scale` subresource: reads the Scale, writes it back with its
 * resourceVersion (so a concurrent change answers 409), and on a 409 reads again and retries. Idempotent: scaling to
 * the current count writes nothing. A missing workload is `not_found` naming it and the namespace; a kind other than
 * StatefulSet or Deployment is `workload_kind_unknown`, before any request.
 *
 * @example
 * const { previousReplicas } = await scaleWorkload(kube, { namespace: 'matrix', workload: { kind: 'Deployment', name: 'matrix-synapse' }, replicas: 0 });
 */
export async function scaleWorkload(kube: Kube, options: ScaleWorkloadOptions): Promise<ScaleResult> {
  const { namespace, replicas } = options;
  const kind = checkWorkloadKind(options.workload);
  const { name } = options.workload;
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError('replicas must be a whole number >= 0');
  const request = { verb: 'update', resource: `${workloadResource(kind)}/scale`, namespace, name };
  const what = `${kind.toLowerCase()} ${namespace}/${name}`;
  const stale = `Make a new plan: the ${kind} is no longer in the state the plan was made from.`;
  const retries = options.conflictRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    let scale: V1Scale;
    try {
      scale = await callApi({ ...request, verb: 'get' }, { idempotent: true }, () => readScale(kube, kind, namespace, name));
    } catch (error) {
      throw workloadNotFound(error, namespace, { kind, name });
    }
    const current = scale.spec?.replicas ?? 0;
    const resourceVersion = scale.metadata?.resourceVersion ?? '';
    if (options.expectedResourceVersion !== undefined && resourceVersion !== options.expectedResourceVersion) {
      throw new K8sOpsError('stale_precondition', `${what} changed since it was observed (resourceVersion ${options.expectedResourceVersion} -> ${resourceVersion})`, {
        request,
        nextSteps: [stale],
      });
    }
    if (current === replicas) return { previousReplicas: current, replicas, changed: false, resourceVersion };
    try {
      const written = await callApi(request, { idempotent: true }, () =>
        replaceScale(kube, kind, namespace, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace, resourceVersion }, spec: { replicas } }),
      );
      return { previousReplicas: current, replicas, changed: true, resourceVersion: written.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (isK8sOpsError(error, 'not_found')) throw workloadNotFound(error, namespace, { kind, name });
      if (!isK8sOpsError(error, 'conflict') || attempt >= retries) throw error;
      if (options.expectedResourceVersion !== undefined) {
        throw new K8sOpsError('stale_precondition', `${what} changed while it was being scaled`, { request, cause: error, nextSteps: [stale] });
      }
    }
  }
}

/**
 * Scales a StatefulSet: {@link scaleWorkload} with `kind: 'StatefulSet'`.
 *
 * @example
 * await scaleStatefulSet(kube, { namespace: 'openmeet-dev', name: 'matrix', replicas: 0 });
 */
export async function scaleStatefulSet(kube: Kube, options: ScaleOptions): Promise<ScaleResult> {
  const { name, ...rest } = options;
  return scaleWorkload(kube, { ...rest, workload: { kind: 'StatefulSet', name } });
}

export interface WorkloadWaitOptions {
  namespace: string;
  workload: WorkloadId;
  timeoutMs?: number;
  onProgress?: (progress: WaitProgress) => void;
  signal?: AbortSignal;
}

/** The StatefulSet waits' options: a StatefulSet by name. */
export interface WaitOptions extends Omit<WorkloadWaitOptions, 'workload'> {
  name: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Which pods (of those its selector matches) belong to the workload: a StatefulSet's are `<name>-<ordinal>`; a
 * Deployment's are controlled by one of its ReplicaSets, current or old, named `<deployment>-<pod-template-hash>`.
 * Pods of another workload whose labels the selector also matches (a worker's, say) do not count.
 */
function podsOf(kind: WorkloadKind, name: string): (pod: V1Pod) => boolean {
  if (kind === 'StatefulSet') {
    const pattern = new RegExp(`^${escapeRegExp(name)}-\\d+$`);
    return (pod) => pattern.test(pod.metadata?.name ?? '');
  }
  return (pod) => {
    const controller = pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    return controller?.kind === 'ReplicaSet' && hash !== undefined && controller.name === `${name}-${hash}`;
  };
}

/**
 * Waits until no pod of the Deployment or StatefulSet exists any more (each one answers 404), as needed after
 * scaling to 0 and before deleting its volume. A Deployment's pods are those of all its ReplicaSets, old revisions'
 * included; pods of other workloads its selector happens to match are not waited for.
 *
 * @example
 * const workload = { kind: 'Deployment', name: 'matrix-synapse' } as const;
 * await scaleWorkload(kube, { namespace, workload, replicas: 0 });
 * await waitForWorkloadPodsGone(kube, { namespace, workload, onProgress: (p) => console.error(p.waitingFor) });
 */
export async function waitForWorkloadPodsGone(kube: Kube, options: WorkloadWaitOptions): Promise<void> {
  const { namespace } = options;
  const { kind, object } = await readWorkloadObject(kube, namespace, options.workload);
  const name = options.workload.name;
  const labelSelector = labelSelectorString(object.spec?.selector);
  const ours = podsOf(kind, name);
  await waitForObjects<V1Pod, void>(kube, {
    request: { verb: 'watch', resource: 'pods', namespace },
    list: () => kube.core.listNamespacedPod({ namespace, labelSelector }),
    watchPath: `/api/v1/namespaces/${namespace}/pods`,
    labelSelector,
    check: (pods) => {
      const left = [...pods.values()].filter(ours).map((p) => `${p.metadata?.name}${p.metadata?.deletionTimestamp ? ' (terminating)' : ''}`);
      return left.length === 0 ? { done: true, value: undefined } : { done: false, waitingFor: `pods to go: ${left.sort().join(', ')}` };
    },
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Waits until no pod of the StatefulSet exists any more: {@link waitForWorkloadPodsGone} with `kind: 'StatefulSet'`.
 *
 * @example
 * await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 });
 * await waitForStatefulSetPodsGone(kube, { namespace, name: 'matrix', onProgress: (p) => console.error(p.waitingFor) });
 */
export async function waitForStatefulSetPodsGone(kube: Kube, options: WaitOptions): Promise<void> {
  const { name, ...rest } = options;
  await waitForWorkloadPodsGone(kube, { ...rest, workload: { kind: 'StatefulSet', name } });
}

/** Follows the workload until kubectl would call its rollout complete; it may not exist yet when the wait starts. */
async function waitUntilRolledOut(kube: Kube, namespace: string, kind: WorkloadKind, name: string, options: Omit<WorkloadWaitOptions, 'namespace' | 'workload'>): Promise<{ workload: WorkloadObject; message: string }> {
  const fieldSelector = `metadata.name=${name}`;
  const verdict = (workload: WorkloadObject, status: { done: boolean; message: string; error?: string }) => {
    if (status.error) {
      throw new K8sOpsError('rollout_failed', `${kind.toLowerCase()} ${namespace}/${name}: ${status.error}`, {
        nextSteps: ['Inspect it with kubectl describe; fix the cause, then run the step again.'],
      });
    }
    return status.done ? { done: true as const, value: { workload, message: status.message } } : { done: false as const, waitingFor: rolloutWaitingFor(status.message) };
  };
  const common = {
    request: { verb: 'watch', resource: workloadResource(kind), namespace, name },
    fieldSelector,
    timeoutMs: options.timeoutMs ?? 600_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (kind === 'Deployment') {
    return waitForObjects<V1Deployment, { workload: WorkloadObject; message: string }>(kube, {
      ...common,
      list: () => kube.apps.listNamespacedDeployment({ namespace, fieldSelector }),
      watchPath: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      check: (items) => {
        const object = items.get(name);
        return object ? verdict({ kind, object }, deploymentRolloutStatus(object)) : { done: false, waitingFor: `deployment ${name} to exist` };
      },
    });
  }
  return waitForObjects<V1StatefulSet, { workload: WorkloadObject; message: string }>(kube, {
    ...common,
    list: () => kube.apps.listNamespacedStatefulSet({ namespace, fieldSelector }),
    watchPath: `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    check: (items) => {
      const object = items.get(name);
      return object ? verdict({ kind, object }, statefulSetRolloutStatus(object)) : { done: false, waitingFor: `statefulset ${name} to exist` };
    },
  });
}

/** A workload whose rollout is complete, with kubectl's words for it. */
export interface WorkloadReady extends WorkloadSummary {
  /** What `kubectl rollout status` prints for it, e.g. `deployment "matrix-synapse" successfully rolled out`. */
  readonly rolloutMessage: string;
}

/**
 * Waits until the Deployment's or StatefulSet's rollout is complete as `kubectl rollout status` judges it (every
 * wanted replica updated and ready), for instance after scaling back up; fails at once with `rollout_failed` when it
 * can no longer finish (progress deadline exceeded). A missing workload is `not_found` naming it and the namespace.
 *
 * @example
 * const ready = await waitForWorkloadReady(kube, { namespace, workload: { kind: 'Deployment', name: 'matrix-synapse' }, timeoutMs: 600_000 });
 * console.error(`${ready.readyReplicas}/${ready.replicas} ready: ${ready.rolloutMessage}`);
 */
export async function waitForWorkloadReady(kube: Kube, options: WorkloadWaitOptions): Promise<WorkloadReady> {
  const { namespace } = options;
  const { kind } = await readWorkloadObject(kube, namespace, options.workload);
  const { workload, message } = await waitUntilRolledOut(kube, namespace, kind, options.workload.name, options);
  return Object.freeze({ ...summarizeWorkload(workload), rolloutMessage: message });
}

/**
 * Waits until the StatefulSet's rollout is complete as kubectl judges it (every wanted replica ready, revisions
 * equal), for instance after scaling back up; it may not exist yet when the wait starts.
 *
 * @example
 * await waitForStatefulSetReady(kube, { namespace, name: 'matrix', timeoutMs: 600_000 });
 */
export async function waitForStatefulSetReady(kube: Kube, options: WaitOptions): Promise<V1StatefulSet> {
  const { name, ...rest } = options;
  const { workload } = await waitUntilRolledOut(kube, rest.namespace, 'StatefulSet', name, rest);
  if (workload.kind !== 'StatefulSet') throw new Error(`bug: waited for statefulset ${name} and got a ${workload.kind}`);
  return workload.object;
}

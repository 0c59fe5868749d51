import type { V1Pod, V1Scale, V1StatefulSet } from '@kubernetes/client-node';
import { callApi } from './call-api.ts';
import { K8sOpsError, isK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { statefulSetRolloutStatus } from './rollout-status.ts';
import { labelSelectorString } from './statefulset-shape.ts';
import { waitForObjects, type WaitProgress } from './wait-for-objects.ts';

export interface ScaleOptions {
  namespace: string;
  name: string;
  replicas: number;
  /**
   * Strict mode: the Scale must still be at this resourceVersion (what a plan observed), or the call fails with
   * `stale_precondition` instead of retrying from a fresh read.
   */
  expectedResourceVersion?: string;
  /** How many 409s to absorb by reading again (default 3). */
  conflictRetries?: number;
}

export interface ScaleResult {
  previousReplicas: number;
  replicas: number;
  /** False when the StatefulSet already had the wanted replicas (nothing was written). */
  changed: boolean;
  resourceVersion: string;
}

/**
 * Scales a StatefulSet through its `scale` subresource: reads the Scale, writes it back with its resourceVersion
 * (so a concurrent change answers 409), and on a 409 reads again and retries. Idempotent: scaling to the current
 * count writes nothing.
 *
 * @example
 * await scaleStatefulSet(kube, { namespace: 'openmeet-dev', name: 'matrix', replicas: 0 });
 */
export async function scaleStatefulSet(kube: Kube, options: ScaleOptions): Promise<ScaleResult> {
  const { namespace, name, replicas } = options;
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError('replicas must be a whole number >= 0');
  const request = { verb: 'update', resource: 'statefulsets.apps/scale', namespace, name };
  const retries = options.conflictRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const scale: V1Scale = await callApi({ ...request, verb: 'get' }, { idempotent: true }, () =>
      kube.apps.readNamespacedStatefulSetScale({ name, namespace }),
    );
    const current = scale.spec?.replicas ?? 0;
    const resourceVersion = scale.metadata?.resourceVersion ?? '';
    if (options.expectedResourceVersion !== undefined && resourceVersion !== options.expectedResourceVersion) {
      throw new K8sOpsError('stale_precondition', `statefulset ${namespace}/${name} changed since it was observed (resourceVersion ${options.expectedResourceVersion} -> ${resourceVersion})`, {
        request,
        nextSteps: ['Make a new plan: the StatefulSet is no longer in the state the plan was made from.'],
      });
    }
    if (current === replicas) return { previousReplicas: current, replicas, changed: false, resourceVersion };
    try {
      const written = await callApi(request, { idempotent: true }, () =>
        kube.apps.replaceNamespacedStatefulSetScale({
          name,
          namespace,
          body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace, resourceVersion }, spec: { replicas } },
        }),
      );
      return { previousReplicas: current, replicas, changed: true, resourceVersion: written.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (!isK8sOpsError(error, 'conflict') || attempt >= retries) throw error;
      if (options.expectedResourceVersion !== undefined) {
        throw new K8sOpsError('stale_precondition', `statefulset ${namespace}/${name} changed while it was being scaled`, {
          request,
          cause: error,
          nextSteps: ['Make a new plan: the StatefulSet is no longer in the state the plan was made from.'],
        });
      }
    }
  }
}

export interface WaitOptions {
  namespace: string;
  name: string;
  timeoutMs?: number;
  onProgress?: (progress: WaitProgress) => void;
  signal?: AbortSignal;
}

/**
 * Waits until no pod of the StatefulSet exists any more (each one answers 404), as needed after scaling to 0 and
 * before deleting its volume.
 *
 * @example
 * await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 });
 * await waitForStatefulSetPodsGone(kube, { namespace, name: 'matrix', onProgress: (p) => console.error(p.waitingFor) });
 */
export async function waitForStatefulSetPodsGone(kube: Kube, options: WaitOptions): Promise<void> {
  const { namespace, name } = options;
  const sts: V1StatefulSet = await callApi({ verb: 'get', resource: 'statefulsets.apps', namespace, name }, { idempotent: true }, () =>
    kube.apps.readNamespacedStatefulSet({ name, namespace }),
  );
  const labelSelector = labelSelectorString(sts.spec?.selector);
  const ours = (pod: V1Pod) => new RegExp(`^${name}-\\d+$`).test(pod.metadata?.name ?? '');
  await waitForObjects<V1Pod, void>(kube, {
    request: { verb: 'watch', resource: 'pods', namespace },
    list: () => kube.core.listNamespacedPod({ namespace, labelSelector }),
    watchPath: `/api/v1/namespaces/${namespace}/pods`,
    labelSelector,
    check: (pods) => {
      const left = [...pods.values()].filter(ours).map((p) => `${p.metadata?.name}${p.metadata?.deletionTimestamp ? ' (terminating)' : ''}`);
      return left.length === 0 ? { done: true, value: undefined } : { done: false, waitingFor: `pods to go: ${left.join(', ')}` };
    },
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Waits until the StatefulSet's rollout is complete as kubectl judges it (every wanted replica ready, revisions
 * equal), for instance after scaling back up.
 *
 * @example
 * await waitForStatefulSetReady(kube, { namespace, name: 'matrix', timeoutMs: 600_000 });
 */
export async function waitForStatefulSetReady(kube: Kube, options: WaitOptions): Promise<V1StatefulSet> {
  const { namespace, name } = options;
  return waitForObjects<V1StatefulSet, V1StatefulSet>(kube, {
    request: { verb: 'watch', resource: 'statefulsets.apps', namespace, name },
    list: () => kube.apps.listNamespacedStatefulSet({ namespace, fieldSelector: `metadata.name=${name}` }),
    watchPath: `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    fieldSelector: `metadata.name=${name}`,
    check: (items) => {
      const sts = items.get(name);
      if (sts === undefined) return { done: false, waitingFor: `statefulset ${name} to exist` };
      const status = statefulSetRolloutStatus(sts);
      if (status.error) {
        throw new K8sOpsError('rollout_failed', `statefulset ${namespace}/${name}: ${status.error}`, {
          nextSteps: ['Inspect it with kubectl describe; fix the cause, then run the step again.'],
        });
      }
      return status.done ? { done: true, value: sts } : { done: false, waitingFor: status.message };
    },
    timeoutMs: options.timeoutMs ?? 600_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

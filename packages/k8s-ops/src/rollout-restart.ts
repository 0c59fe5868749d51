import { PatchStrategy, setHeaderOptions, type V1Deployment, type V1StatefulSet } from '@kubernetes/client-node';
import { callApi } from './call-api.ts';
import { K8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { deploymentRolloutStatus, rolloutWaitingFor, statefulSetRolloutStatus } from './rollout-status.ts';
import { waitForObjects, type WaitProgress } from './wait-for-objects.ts';
import { checkWorkloadKind, workloadNotFound, workloadResource, type WorkloadRef } from './workload-ref.ts';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/**
 * Restarts a Deployment's or StatefulSet's pods the way `kubectl rollout restart` does: a strategic-merge patch of
 * the pod template's `kubectl.kubernetes.io/restartedAt` annotation. Refuses a paused Deployment.
 *
 * @example
 * const { restartedAt } = await rolloutRestart(kube, { kind: 'Deployment', namespace: 'openmeet-dev', name: 'openmeet-api' });
 * await waitForRollout(kube, { kind: 'Deployment', namespace: 'openmeet-dev', name: 'openmeet-api' });
 */
export async function rolloutRestart(kube: Kube, target: WorkloadRef, now: Date = new Date()): Promise<{ restartedAt: string; generation: number }> {
  const { namespace, name } = target;
  const kind = checkWorkloadKind(target);
  const resource = workloadResource(kind);
  const restartedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
  const request = { verb: 'patch', resource, namespace, name };
  if (kind === 'Deployment') {
    const current: V1Deployment = await callApi({ ...request, verb: 'get' }, { idempotent: true }, () => kube.apps.readNamespacedDeployment({ name, namespace })).catch(
      (error: unknown) => {
        throw workloadNotFound(error, namespace, { kind, name });
      },
    );
    if (current.spec?.paused) {
      throw new K8sOpsError('rollout_paused', `deployment ${namespace}/${name} is paused and cannot be restarted`, {
        request,
        nextSteps: [`Resume it first (kubectl rollout resume deployment/${name} -n ${namespace}), or leave it out of the restart.`],
      });
    }
    const patched = await callApi(request, { idempotent: true }, () => kube.apps.patchNamespacedDeployment({ name, namespace, body }, strategicMerge));
    return { restartedAt, generation: patched.metadata?.generation ?? 0 };
  }
  const patched = await callApi(request, { idempotent: true }, () => kube.apps.patchNamespacedStatefulSet({ name, namespace, body }, strategicMerge)).catch(
    (error: unknown) => {
      throw workloadNotFound(error, namespace, { kind, name });
    },
  );
  return { restartedAt, generation: patched.metadata?.generation ?? 0 };
}

/**
 * Waits until a Deployment's or StatefulSet's rollout is complete, exactly as `kubectl rollout status` decides it;
 * fails at once on ProgressDeadlineExceeded.
 *
 * @example
 * await waitForRollout(kube, { kind: 'Deployment', namespace, name: 'openmeet-api', timeoutMs: 300_000 });
 */
export async function waitForRollout(
  kube: Kube,
  target: WorkloadRef & { timeoutMs?: number; onProgress?: (p: WaitProgress) => void; signal?: AbortSignal },
): Promise<string> {
  const { namespace, name } = target;
  const kind = checkWorkloadKind(target);
  const fieldSelector = `metadata.name=${name}`;
  const common = {
    fieldSelector,
    timeoutMs: target.timeoutMs ?? 600_000,
    ...(target.onProgress ? { onProgress: target.onProgress } : {}),
    ...(target.signal ? { signal: target.signal } : {}),
  };
  const verdict = (status: { done: boolean; message: string; error?: string }) => {
    if (status.error) {
      throw new K8sOpsError('rollout_failed', `${kind.toLowerCase()} ${namespace}/${name}: ${status.error}`, {
        nextSteps: ['Inspect it with kubectl describe and its pods\' events; fix the cause, then run the step again.'],
      });
    }
    return status.done ? { done: true as const, value: status.message } : { done: false as const, waitingFor: rolloutWaitingFor(status.message) };
  };
  if (kind === 'Deployment') {
    return waitForObjects<V1Deployment, string>(kube, {
      ...common,
      request: { verb: 'watch', resource: 'deployments.apps', namespace, name },
      list: () => kube.apps.listNamespacedDeployment({ namespace, fieldSelector }),
      watchPath: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      check: (items) => {
        const d = items.get(name);
        return d ? verdict(deploymentRolloutStatus(d)) : { done: false, waitingFor: `deployment ${name} to exist` };
      },
    });
  }
  return waitForObjects<V1StatefulSet, string>(kube, {
    ...common,
    request: { verb: 'watch', resource: 'statefulsets.apps', namespace, name },
    list: () => kube.apps.listNamespacedStatefulSet({ namespace, fieldSelector }),
    watchPath: `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    check: (items) => {
      const s = items.get(name);
      return s ? verdict(statefulSetRolloutStatus(s)) : { done: false, waitingFor: `statefulset ${name} to exist` };
    },
  });
}

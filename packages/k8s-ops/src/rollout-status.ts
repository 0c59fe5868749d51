import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';

/** kubectl's verdict on a rollout: done, still waiting (with kubectl's message), or failed. */
export interface RolloutStatus {
  done: boolean;
  message: string;
  /** Set when the rollout can no longer finish by itself (progress deadline exceeded, unsupported strategy). */
  error?: string;
}

/**
 * Decides whether a Deployment's rollout is complete, exactly as `kubectl rollout status` does.
 *
 * @example
 * deploymentRolloutStatus(await kube.apps.readNamespacedDeployment({ name, namespace })).done;
 */
/**
 * What a rollout still waits for, from its kubectl-style message ("Waiting for 1 pods to be ready..." becomes "1 pods
 * to be ready"), for a progress line that says "waiting for" itself.
 *
 * @example
 * rolloutWaitingFor('Waiting for deployment "api" rollout to finish: 0 of 1 updated replicas are available...'); // 'deployment "api" rollout to finish: 0 of 1 updated replicas are available'
 */
export function rolloutWaitingFor(message: string): string {
  return message.replace(/^waiting for /i, '').replace(/\.\.\.$/, '');
}

export function deploymentRolloutStatus(deployment: V1Deployment): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if (generation > (status.observedGeneration ?? 0)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const error = `deployment "${name}" exceeded its progress deadline`;
    return { done: false, message: error, error };
  }
  const wanted = deployment.spec?.replicas;
  const updated = status.updatedReplicas ?? 0;
  if (wanted !== undefined && updated < wanted) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${wanted} new replicas have been updated...` };
  }
  if ((status.replicas ?? 0) > updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${(status.replicas ?? 0) - updated} old replicas are pending termination...` };
  }
  if ((status.availableReplicas ?? 0) < updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${status.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
  }
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

/**
 * Decides whether a StatefulSet's rollout is complete, exactly as `kubectl rollout status` does (RollingUpdate only).
 *
 * @example
 * statefulSetRolloutStatus(await kube.apps.readNamespacedStatefulSet({ name, namespace })).message;
 */
export function statefulSetRolloutStatus(statefulSet: V1StatefulSet): RolloutStatus {
  const spec = statefulSet.spec;
  const status = statefulSet.status;
  if (spec?.updateStrategy?.type !== undefined && spec.updateStrategy.type !== 'RollingUpdate') {
    const error = 'rollout status is only available for RollingUpdate strategy type';
    return { done: false, message: error, error };
  }
  const observed = status?.observedGeneration ?? 0;
  if (observed === 0 || (statefulSet.metadata?.generation ?? 0) > observed) {
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = spec?.replicas;
  const ready = status?.readyReplicas ?? 0;
  if (replicas !== undefined && ready < replicas) {
    return { done: false, message: `Waiting for ${replicas - ready} pods to be ready...` };
  }
  const partition = spec?.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined && partition !== null) {
    const updated = status?.updatedReplicas ?? 0;
    if (replicas !== undefined && updated < replicas - partition) {
      return { done: false, message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...` };
    }
    return { done: true, message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  }
  if (status?.updateRevision !== status?.currentRevision) {
    return {
      done: false,
      message: `waiting for statefulset rolling update to complete ${status?.updatedReplicas ?? 0} pods at revision ${status?.updateRevision ?? ''}...`,
    };
  }
  return { done: true, message: `statefulset rolling update complete ${status?.currentReplicas ?? 0} pods at revision ${status?.currentRevision ?? ''}...` };
}

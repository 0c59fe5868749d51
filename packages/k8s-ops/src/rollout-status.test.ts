import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deploymentRolloutStatus, statefulSetRolloutStatus } from './rollout-status.ts';

function deployment(spec: number, generation: number, status: NonNullable<V1Deployment['status']>): V1Deployment {
  return { metadata: { name: 'api', generation }, spec: { replicas: spec, selector: {}, template: {} }, status };
}

describe('deploymentRolloutStatus (kubectl rollout status)', () => {
  it('waits while the spec update is not observed', () => {
    expect(deploymentRolloutStatus(deployment(2, 3, { observedGeneration: 2 }))).toEqual({
      done: false,
      message: 'Waiting for deployment spec update to be observed...',
    });
  });
  it('fails on ProgressDeadlineExceeded', () => {
    const status = deploymentRolloutStatus(
      deployment(2, 3, { observedGeneration: 3, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
    );
    expect(status.error).toBe('deployment "api" exceeded its progress deadline');
  });
  it('counts updated, old and available replicas in that order', () => {
    expect(deploymentRolloutStatus(deployment(2, 3, { observedGeneration: 3, updatedReplicas: 1, replicas: 2 })).message).toBe(
      'Waiting for deployment "api" rollout to finish: 1 out of 2 new replicas have been updated...',
    );
    expect(deploymentRolloutStatus(deployment(2, 3, { observedGeneration: 3, updatedReplicas: 2, replicas: 3 })).message).toBe(
      'Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...',
    );
    expect(deploymentRolloutStatus(deployment(2, 3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).message).toBe(
      'Waiting for deployment "api" rollout to finish: 1 of 2 updated replicas are available...',
    );
  });
  it('is done when every updated replica is available', () => {
    expect(deploymentRolloutStatus(deployment(2, 3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }))).toEqual({
      done: true,
      message: 'deployment "api" successfully rolled out',
    });
  });
});

function statefulSet(spec: Partial<NonNullable<V1StatefulSet['spec']>>, generation: number, status: Partial<NonNullable<V1StatefulSet['status']>>): V1StatefulSet {
  return {
    metadata: { name: 'matrix', generation },
    spec: { selector: {}, serviceName: 'matrix', template: {}, ...spec },
    status: { replicas: 0, ...status },
  };
}

describe('statefulSetRolloutStatus (kubectl rollout status)', () => {
  it('refuses OnDelete', () => {
    expect(statefulSetRolloutStatus(statefulSet({ updateStrategy: { type: 'OnDelete' } }, 1, {})).error).toBe(
      'rollout status is only available for RollingUpdate strategy type',
    );
  });
  it('waits for an observed generation, then for ready pods', () => {
    expect(statefulSetRolloutStatus(statefulSet({ replicas: 1 }, 1, { observedGeneration: 0 })).message).toBe(
      'Waiting for statefulset spec update to be observed...',
    );
    expect(statefulSetRolloutStatus(statefulSet({ replicas: 1 }, 1, { observedGeneration: 1, readyReplicas: 0 })).message).toBe(
      'Waiting for 1 pods to be ready...',
    );
  });
  it('waits for revisions to converge, then is done', () => {
    const ready = { observedGeneration: 1, readyReplicas: 1, currentReplicas: 1, updatedReplicas: 1 };
    expect(statefulSetRolloutStatus(statefulSet({ replicas: 1 }, 1, { ...ready, currentRevision: 'a', updateRevision: 'b' })).done).toBe(false);
    expect(statefulSetRolloutStatus(statefulSet({ replicas: 1 }, 1, { ...ready, currentRevision: 'b', updateRevision: 'b' }))).toEqual({
      done: true,
      message: 'statefulset rolling update complete 1 pods at revision b...',
    });
  });
  it('judges a partitioned rollout by updated replicas', () => {
    const spec = { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } };
    expect(statefulSetRolloutStatus(statefulSet(spec, 1, { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 })).done).toBe(false);
    expect(statefulSetRolloutStatus(statefulSet(spec, 1, { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 2 })).done).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { progressingCondition } from './deployment-controller.ts';

const stale = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-1" is progressing.', lastUpdateTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' };
const now = new Date('2025-01-01T00:00:10Z');
const base = { previous: stale, replicaSet: 'web-1', complete: false, progressed: false, paused: false, now };

describe('progressingCondition', () => {
  it('no progress for longer than the deadline gives False / ProgressDeadlineExceeded', () => {
    expect(progressingCondition({ ...base, deadlineSeconds: 5 })).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' });
  });

  it('no progress within the deadline keeps the condition as it was', () => {
    expect(progressingCondition({ ...base, deadlineSeconds: 600 })).toBe(stale);
  });

  it('a paused Deployment never exceeds its deadline', () => {
    expect(progressingCondition({ ...base, paused: true, deadlineSeconds: 5 })).toBe(stale);
  });

  it('progress refreshes lastUpdateTime and keeps lastTransitionTime', () => {
    expect(progressingCondition({ ...base, progressed: true, deadlineSeconds: 5 })).toMatchObject({ reason: 'ReplicaSetUpdated', lastUpdateTime: '2025-01-01T00:00:10Z', lastTransitionTime: '2025-01-01T00:00:00Z' });
  });

  it('a complete rollout is NewReplicaSetAvailable', () => {
    expect(progressingCondition({ ...base, complete: true, deadlineSeconds: 5 })).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });
});

import { describe, expect, it } from 'vitest';
import { labelSelectorString } from './statefulset-shape.ts';
import { permissionsFor } from './permissions.ts';

describe('permissionsFor', () => {
  it('merges verbs per resource and groups resources needing the same verbs', () => {
    expect(permissionsFor(['deletePersistentVolumeClaim', 'readStatefulSetShape', 'scaleStatefulSet'])).toEqual([
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['delete', 'get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update'] },
    ]);
  });
});

describe('the workload operations\' permissions', () => {
  it('cover both kinds: a Deployment\'s scale subresource as a StatefulSet\'s, and the pods to wait for', () => {
    expect(permissionsFor(['scaleWorkload', 'waitForWorkloadPods', 'waitForWorkloadReady', 'listWorkloads', 'workloadClaims'])).toEqual([
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update'] },
    ]);
  });
});

describe('labelSelectorString', () => {
  it('renders matchLabels and matchExpressions as the API expects', () => {
    expect(
      labelSelectorString({
        matchLabels: { app: 'matrix' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=matrix,tier in (a,b),!canary');
  });
});

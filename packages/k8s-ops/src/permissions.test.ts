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

import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';

describe('patches', () => {
  it('merge patch deletes keys set to null and replaces lists', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null }, l: [3] })).toEqual({ a: 1, b: { d: 3 }, l: [3] });
  });

  it('json patch replaces, adds and fails a test op', () => {
    expect(applyJsonPatch({ spec: { replicas: 1 } }, [{ op: 'replace', path: '/spec/replicas', value: 0 }, { op: 'add', path: '/spec/x', value: 'y' }])).toEqual({ spec: { replicas: 0, x: 'y' } });
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
  });

  it('strategic merge patch merges containers and env by name', () => {
    const target = { containers: [{ name: 'a', image: 'x', env: [{ name: 'K', value: '1' }] }, { name: 'b', image: 'y' }] };
    const patched = applyStrategicMergePatch(target, { containers: [{ name: 'a', env: [{ name: 'J', value: '2' }] }] });
    expect(patched).toEqual({ containers: [{ name: 'a', image: 'x', env: [{ name: 'K', value: '1' }, { name: 'J', value: '2' }] }, { name: 'b', image: 'y' }] });
  });

  it('strategic merge patch honours $patch: delete in a keyed list', () => {
    expect(applyStrategicMergePatch({ env: [{ name: 'A' }, { name: 'B' }] }, { env: [{ name: 'A', $patch: 'delete' }] })).toEqual({ env: [{ name: 'B' }] });
  });
});

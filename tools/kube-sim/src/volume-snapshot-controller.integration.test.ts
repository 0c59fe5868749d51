import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { kubectl } from './test-support/kubectl.ts';

let sim: KubeSim;
const NS = 'snapshots';
const k = (args: string[], input?: string) => kubectl(sim.kubeconfigPath, args, input);

async function jsonpath(args: string[], path: string, want: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await k([...args, '-o', `jsonpath=${path}`]);
    if (result.code === 0 && want(result.stdout)) return result.stdout;
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} ${path}: got ${JSON.stringify(result.stdout + result.stderr)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  sim = await startKubeSim({ customResources: ['volume-snapshots'] });
  const yaml = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ${NS}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
`;
  expect((await k(['apply', '-f', '-'], yaml)).code).toBe(0);
});

afterAll(async () => {
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

describe('VolumeSnapshot controller', () => {
  it('copies the bound volume, binds a VolumeSnapshotContent and reports readyToUse; a restore gets the data', async () => {
    const pv = await jsonpath(['get', 'pvc', 'data', '-n', NS], '{.spec.volumeName}', (text) => text !== '');
    const volumeDir = await jsonpath(['get', 'pv', pv], '{.spec.hostPath.path}', (text) => text !== '');
    await writeFile(join(volumeDir, 'homeserver.db'), 'before the reset');

    const snapshot = `apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: before-reset, namespace: ${NS}}
spec: {source: {persistentVolumeClaimName: data}}
`;
    expect((await k(['apply', '-f', '-'], snapshot)).stdout).toContain('volumesnapshot.snapshot.storage.k8s.io/before-reset created');
    expect(await jsonpath(['get', 'volumesnapshot', 'before-reset', '-n', NS], '{.status.readyToUse}', (text) => text !== '')).toBe('true');
    const content = await jsonpath(['get', 'vs', 'before-reset', '-n', NS], '{.status.boundVolumeSnapshotContentName}', (text) => text !== '');
    expect(await jsonpath(['get', 'vs', 'before-reset', '-n', NS], '{.status.restoreSize}', () => true)).toBe('2Gi');
    expect(await jsonpath(['get', 'vs', 'before-reset', '-n', NS], '{.status.creationTime}', () => true)).toMatch(/^\d{4}-/);
    const handle = await jsonpath(['get', 'volumesnapshotcontent', content], '{.status.snapshotHandle}', (text) => text !== '');
    await writeFile(join(volumeDir, 'homeserver.db'), 'after the reset');
    expect(await readFile(join(handle, 'homeserver.db'), 'utf8')).toBe('before the reset');

    const restore = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: restored, namespace: ${NS}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
  dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: before-reset}
`;
    expect((await k(['apply', '-f', '-'], restore)).code).toBe(0);
    const restoredPv = await jsonpath(['get', 'pvc', 'restored', '-n', NS], '{.spec.volumeName}', (text) => text !== '');
    const restoredDir = await jsonpath(['get', 'pv', restoredPv], '{.spec.hostPath.path}', (text) => text !== '');
    expect(await readFile(join(restoredDir, 'homeserver.db'), 'utf8')).toBe('before the reset');

    expect((await k(['delete', 'volumesnapshot', 'before-reset', '-n', NS])).code).toBe(0);
    await jsonpath(['get', 'volumesnapshotcontents'], '{.items[*].metadata.name}', (text) => !text.includes(content));
    expect(existsSync(handle)).toBe(false);
  });

  it('a snapshot of a missing claim reports status.error.message', async () => {
    const snapshot = `apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: of-nothing, namespace: ${NS}}
spec: {source: {persistentVolumeClaimName: no-such-claim}}
`;
    expect((await k(['apply', '-f', '-'], snapshot)).code).toBe(0);
    const message = await jsonpath(['get', 'vs', 'of-nothing', '-n', NS], '{.status.error.message}', (text) => text !== '');
    expect(message).toContain('PersistentVolumeClaim "no-such-claim" not found');
    expect(await jsonpath(['get', 'vs', 'of-nothing', '-n', NS], '{.status.readyToUse}', () => true)).toBe('false');
  });
});

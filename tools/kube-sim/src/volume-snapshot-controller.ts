import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KindsReconciler } from './controller-loop.ts';
import type { Kinds } from './kinds.ts';
import { record, timestamp, type KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import type { ResourceType } from './resource-types.ts';

const run = promisify(execFile);

/** The CSI driver name kube-sim's snapshots and its default VolumeSnapshotClass use. */
export const SNAPSHOT_DRIVER = 'kube-sim.local/hostpath';

/** The VolumeSnapshotClass created when snapshots are switched on (the default class). */
export const DEFAULT_SNAPSHOT_CLASS = 'kube-sim-snapclass';

/** Copies a directory's contents with owners, modes and times (`cp -a`). */
export async function copyDirectory(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  await run('cp', ['-a', `${from}/.`, to]);
}

interface SnapshotKinds {
  snapshot: ResourceType;
  content: ResourceType;
  snapshotClass: ResourceType;
}

/** The snapshot kinds, when `volume-snapshots` is switched on. */
export function snapshotKinds(store: ObjectStore): SnapshotKinds | undefined {
  const find = (plural: string): ResourceType | undefined => store.registry.find('snapshot.storage.k8s.io', 'v1', plural);
  const snapshot = find('volumesnapshots');
  const content = find('volumesnapshotcontents');
  const snapshotClass = find('volumesnapshotclasses');
  return snapshot && content && snapshotClass ? { snapshot, content, snapshotClass } : undefined;
}

/**
 * The directory holding a ready VolumeSnapshot's data (its content's `status.snapshotHandle`), or `undefined`
 * while the snapshot is missing or not ready. For provisioning a PVC whose `spec.dataSource` is the snapshot.
 */
export function readySnapshotDirectory(store: ObjectStore, namespace: string | undefined, name: string): string | undefined {
  const kinds = snapshotKinds(store);
  if (kinds === undefined) return undefined;
  const status = record(store.tryGet(kinds.snapshot, namespace, name)?.['status']);
  if (status['readyToUse'] !== true) return undefined;
  const content = store.tryGet(kinds.content, undefined, String(status['boundVolumeSnapshotContentName'] ?? ''));
  const handle = record(content?.['status'])['snapshotHandle'];
  return typeof handle === 'string' ? handle : undefined;
}

/**
 * The CSI snapshotter for kube-sim's hostpath volumes: a new `VolumeSnapshot` of a bound claim
 * (`spec.source.persistentVolumeClaimName`) gets the PV's directory copied (`cp -a`) into `<snapshotsDir>/<content>`,
 * a `VolumeSnapshotContent` (`snapcontent-<uid>`, `snapshotHandle` = that directory), and `status.readyToUse: true`,
 * `boundVolumeSnapshotContentName`, `restoreSize`, `creationTime`. A missing claim sets `status.error.message`
 * (retried while the snapshot exists). Deleting the snapshot deletes its content and data (`deletionPolicy: Delete`).
 *
 * @example
 * new ControllerLoop(store, [new VolumeSnapshotController(store, kinds, '/tmp/sim/snapshots')], log).start();
 */
export class VolumeSnapshotController extends KindsReconciler {
  readonly name = 'volume-snapshot-controller';
  readonly #snapshotsDir: string;

  constructor(store: ObjectStore, kinds: Kinds, snapshotsDir: string) {
    super(store, kinds);
    this.#snapshotsDir = snapshotsDir;
  }

  async reconcile(): Promise<void> {
    const kinds = snapshotKinds(this.store);
    if (kinds === undefined) return;
    const snapshots = this.store.list(kinds.snapshot, undefined);
    for (const snapshot of snapshots) {
      const status = record(snapshot['status']);
      if (snapshot.metadata.deletionTimestamp !== undefined || status['readyToUse'] === true) continue;
      await this.#take(kinds, snapshot);
    }
    const live = new Set(this.store.list(kinds.snapshot, undefined).map((s) => s.metadata.uid));
    for (const content of this.store.list(kinds.content, undefined)) {
      const spec = record(content['spec']);
      const ref = record(spec['volumeSnapshotRef']);
      if (live.has(String(ref['uid'])) || record(spec['source'])['volumeHandle'] === undefined) continue;
      const handle = String(record(content['status'])['snapshotHandle'] ?? '');
      if (spec['deletionPolicy'] !== 'Retain') {
        if (handle.startsWith(this.#snapshotsDir)) await rm(handle, { recursive: true, force: true });
        this.store.remove(kinds.content, undefined, content.metadata.name);
      }
    }
  }

  #fail(kinds: SnapshotKinds, snapshot: KubeObject, message: string): void {
    this.store.mutate(kinds.snapshot, snapshot.metadata.namespace, snapshot.metadata.name, (object) => {
      const previous = record(record(object['status'])['error']);
      object['status'] = { readyToUse: false, error: { message, time: previous['message'] === message ? previous['time'] : timestamp() } };
    }, { subresource: 'status' });
  }

  async #take(kinds: SnapshotKinds, snapshot: KubeObject): Promise<void> {
    const namespace = snapshot.metadata.namespace;
    const spec = record(snapshot['spec']);
    const claimName = record(spec['source'])['persistentVolumeClaimName'];
    if (typeof claimName !== 'string') {
      this.#fail(kinds, snapshot, 'spec.source.persistentVolumeClaimName is required (pre-provisioned snapshots are not simulated)');
      return;
    }
    const claim = this.store.tryGet(this.kinds.pvc, namespace, claimName);
    if (claim === undefined || claim.metadata.deletionTimestamp !== undefined) {
      this.#fail(kinds, snapshot, `failed to take snapshot: PersistentVolumeClaim "${claimName}" ${claim === undefined ? 'not found' : 'is being deleted'} in namespace "${namespace ?? ''}"`);
      return;
    }
    const volumeName = record(claim['spec'])['volumeName'];
    const volume = typeof volumeName === 'string' ? this.store.tryGet(this.kinds.pv, undefined, volumeName) : undefined;
    const source = record(record(volume?.['spec'])['hostPath'])['path'];
    if (volume === undefined || typeof source !== 'string') return; // not bound yet
    const className = typeof spec['volumeSnapshotClassName'] === 'string' ? spec['volumeSnapshotClassName'] : DEFAULT_SNAPSHOT_CLASS;
    const snapshotClass = this.store.tryGet(kinds.snapshotClass, undefined, className);
    if (snapshotClass === undefined) {
      this.#fail(kinds, snapshot, `failed to get input parameters to create snapshot ${snapshot.metadata.name}: volumesnapshotclass.snapshot.storage.k8s.io "${className}" not found`);
      return;
    }
    const contentName = `snapcontent-${snapshot.metadata.uid ?? ''}`;
    const directory = join(this.#snapshotsDir, contentName);
    const restoreSize = String(record(record(claim['status'])['capacity'])['storage'] ?? record(record(record(claim['spec'])['resources'])['requests'])['storage'] ?? '1Gi');
    const created = new Date();
    if (this.store.tryGet(kinds.content, undefined, contentName) === undefined) {
      await rm(directory, { recursive: true, force: true });
      await copyDirectory(source, directory);
      this.store.create(kinds.content, undefined, {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshotContent',
        metadata: { name: contentName },
        spec: {
          deletionPolicy: String(snapshotClass['deletionPolicy'] ?? 'Delete'),
          driver: String(snapshotClass['driver'] ?? SNAPSHOT_DRIVER),
          source: { volumeHandle: volumeName },
          volumeSnapshotClassName: className,
          volumeSnapshotRef: { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', name: snapshot.metadata.name, namespace, uid: snapshot.metadata.uid },
        },
      });
      this.store.mutate(kinds.content, undefined, contentName, (content) => {
        content['status'] = { creationTime: created.getTime() * 1_000_000, readyToUse: true, restoreSize: quantityBytes(restoreSize), snapshotHandle: directory };
      }, { subresource: 'status' });
    }
    this.store.mutate(kinds.snapshot, namespace, snapshot.metadata.name, (object) => {
      object['status'] = { boundVolumeSnapshotContentName: contentName, creationTime: timestamp(created), readyToUse: true, restoreSize };
    }, { subresource: 'status' });
  }
}

/** `1Gi` -> 1073741824 (a VolumeSnapshotContent's `restoreSize` is bytes). */
function quantityBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMGTPE]i?)?$/.exec(quantity);
  if (!match) return 0;
  const powers: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Math.round(Number(match[1]) * (match[2] === undefined ? 1 : (powers[match[2]] ?? 1)));
}

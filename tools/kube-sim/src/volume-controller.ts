import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KindsReconciler } from './controller-loop.ts';
import type { Kinds } from './kinds.ts';
import { record, records, type KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import { copyDirectory, readySnapshotDirectory } from './volume-snapshot-controller.ts';

const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const PV_PROTECTION = 'kubernetes.io/pv-protection';

/** The host directory that backs a PersistentVolume. */
export function volumeDirectory(volumesDir: string, pvName: string): string {
  return join(volumesDir, pvName);
}

/**
 * Storage: a dynamic provisioner (one PersistentVolume and one real directory per PVC, reclaim policy from the
 * StorageClass, default `Delete`; a claim whose `spec.dataSource` is a ready VolumeSnapshot starts with its data), binding, PVC protection (a claim a live pod uses stays Terminating until the
 * pod is gone), PV protection, and reclaim (`Delete` removes the PV and its directory, `Retain` leaves it Released).
 *
 * @example
 * new ControllerLoop(store, [new VolumeController(store, kinds, '/tmp/sim/volumes')], log).start();
 */
export class VolumeController extends KindsReconciler {
  readonly name = 'volume-controller';
  readonly #volumesDir: string;

  constructor(store: ObjectStore, kinds: Kinds, volumesDir: string) {
    super(store, kinds);
    this.#volumesDir = volumesDir;
  }

  async reconcile(): Promise<void> {
    const claims = this.store.list(this.kinds.pvc, undefined);
    const pods = this.store.list(this.kinds.pod, undefined);
    for (const claim of claims) {
      if (claim.metadata.deletionTimestamp !== undefined) this.#protect(claim, pods);
      else if (record(claim['spec'])['volumeName'] === undefined) await this.#provision(claim);
    }
    const liveClaims = new Set(this.store.list(this.kinds.pvc, undefined).map((claim) => claim.metadata.uid));
    for (const volume of this.store.list(this.kinds.pv, undefined)) await this.#reclaim(volume, liveClaims);
  }

  #protect(claim: KubeObject, pods: KubeObject[]): void {
    if (!(claim.metadata.finalizers ?? []).includes(PVC_PROTECTION)) return;
    const inUse = pods.some(
      (pod) =>
        pod.metadata.namespace === claim.metadata.namespace &&
        !['Succeeded', 'Failed'].includes(String(record(pod['status'])['phase'])) &&
        records(record(pod['spec'])['volumes']).some((v) => record(v['persistentVolumeClaim'])['claimName'] === claim.metadata.name),
    );
    if (inUse) return;
    this.store.mutate(this.kinds.pvc, claim.metadata.namespace, claim.metadata.name, (object) => {
      object.metadata.finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== PVC_PROTECTION);
    });
  }

  async #provision(claim: KubeObject): Promise<void> {
    const spec = record(claim['spec']);
    const classes = this.store.list(this.kinds.storageClass, undefined);
    const defaultClass = classes.find((c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
    const className = spec['storageClassName'] === undefined ? defaultClass?.metadata.name : String(spec['storageClassName']);
    const storageClass = classes.find((c) => c.metadata.name === className);
    if (storageClass === undefined) return;
    const dataSource = record(spec['dataSource']);
    let restoreFrom: string | undefined;
    if (dataSource['kind'] === 'VolumeSnapshot') {
      // Restore: provisioned only once the snapshot is ready, with its data.
      restoreFrom = readySnapshotDirectory(this.store, claim.metadata.namespace, String(dataSource['name'] ?? ''));
      if (restoreFrom === undefined) return;
    }
    const pvName = `pvc-${claim.metadata.uid ?? ''}`;
    const directory = volumeDirectory(this.#volumesDir, pvName);
    await mkdir(directory, { recursive: true });
    const storage = String(record(record(spec['resources'])['requests'])['storage'] ?? '1Gi');
    const accessModes = (spec['accessModes'] as string[] | undefined) ?? ['ReadWriteOnce'];
    if (this.store.tryGet(this.kinds.pv, undefined, pvName) === undefined) {
      if (restoreFrom !== undefined) await copyDirectory(restoreFrom, directory);
      this.store.create(this.kinds.pv, undefined, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': String(storageClass['provisioner'] ?? 'kube-sim') } },
        spec: {
          capacity: { storage },
          accessModes,
          persistentVolumeReclaimPolicy: String(storageClass['reclaimPolicy'] ?? 'Delete'),
          storageClassName: className,
          volumeMode: 'Filesystem',
          hostPath: { path: directory, type: 'DirectoryOrCreate' },
          claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid },
        },
      });
      this.store.mutate(this.kinds.pv, undefined, pvName, (pv) => { pv['status'] = { phase: 'Bound' }; }, { subresource: 'status' });
    }
    this.store.mutate(this.kinds.pvc, claim.metadata.namespace, claim.metadata.name, (object) => {
      object['spec'] = { ...record(object['spec']), volumeName: pvName, storageClassName: className };
      object.metadata.annotations = { ...object.metadata.annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
    });
    this.store.mutate(this.kinds.pvc, claim.metadata.namespace, claim.metadata.name, (object) => {
      object['status'] = { phase: 'Bound', accessModes, capacity: { storage } };
    }, { subresource: 'status' });
  }

  async #reclaim(volume: KubeObject, liveClaims: Set<string | undefined>): Promise<void> {
    const spec = record(volume['spec']);
    const claimUid = record(spec['claimRef'])['uid'] as string | undefined;
    const bound = claimUid !== undefined && liveClaims.has(claimUid);
    const phase = record(volume['status'])['phase'];
    const directory = String(record(spec['hostPath'])['path'] ?? '');
    if (volume.metadata.deletionTimestamp !== undefined) {
      if (bound) return;
      if (spec['persistentVolumeReclaimPolicy'] === 'Delete' && directory.startsWith(this.#volumesDir)) await rm(directory, { recursive: true, force: true });
      this.store.mutate(this.kinds.pv, undefined, volume.metadata.name, (object) => {
        object.metadata.finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== PV_PROTECTION);
      });
      return;
    }
    if (bound || claimUid === undefined) return;
    if (spec['persistentVolumeReclaimPolicy'] === 'Delete') {
      if (directory.startsWith(this.#volumesDir)) await rm(directory, { recursive: true, force: true });
      this.store.delete(this.kinds.pv, undefined, volume.metadata.name, {});
    } else if (phase !== 'Released') {
      this.store.mutate(this.kinds.pv, undefined, volume.metadata.name, (object) => { object['status'] = { phase: 'Released' }; }, { subresource: 'status' });
    }
  }
}

import type { V1ObjectMeta } from '@kubernetes/client-node';
import { callApi } from './call-api.ts';
import { K8sOpsError, isK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { waitForObjects, type WaitProgress } from './wait-for-objects.ts';

const GROUP = 'snapshot.storage.k8s.io';
const VERSION = 'v1';

/** A VolumeSnapshot as far as we need it. */
export interface VolumeSnapshotObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: { volumeSnapshotClassName?: string; source?: { persistentVolumeClaimName?: string } };
  status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string; restoreSize?: string; error?: { message?: string } };
}

/**
 * Whether the cluster serves `snapshot.storage.k8s.io/v1` (the snapshot CRDs are installed). A CSI driver able to
 * take the snapshot is still needed; creating one tells.
 *
 * @example
 * if (await volumeSnapshotsSupported(kube)) await snapshotPersistentVolumeClaim(kube, { namespace, claim: 'data-matrix-0', snapshotName: 'data-matrix-0-before-reset' });
 */
export async function volumeSnapshotsSupported(kube: Kube): Promise<boolean> {
  const groups = await callApi({ verb: 'get', resource: 'apis' }, { idempotent: true }, () => kube.apis.getAPIVersions());
  return groups.groups.some((g) => g.name === GROUP && g.versions.some((v) => v.version === VERSION));
}

export interface SnapshotOptions {
  namespace: string;
  claim: string;
  snapshotName: string;
  className?: string;
  timeoutMs?: number;
  onProgress?: (progress: WaitProgress) => void;
}

/**
 * Takes a VolumeSnapshot of a claim and waits until it is `readyToUse`. Idempotent: an existing snapshot of the same
 * name and source is waited on, not recreated; one of another source is an error.
 *
 * @example
 * const snap = await snapshotPersistentVolumeClaim(kube, { namespace: 'openmeet-dev', claim: 'data-matrix-0', snapshotName: 'mr-run-42-data-matrix-0' });
 */
export async function snapshotPersistentVolumeClaim(kube: Kube, options: SnapshotOptions): Promise<VolumeSnapshotObject> {
  const { namespace, claim, snapshotName } = options;
  const request = { verb: 'create', resource: `volumesnapshots.${GROUP}`, namespace, name: snapshotName };
  const body: VolumeSnapshotObject = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'VolumeSnapshot',
    metadata: { name: snapshotName, namespace },
    spec: { ...(options.className ? { volumeSnapshotClassName: options.className } : {}), source: { persistentVolumeClaimName: claim } },
  };
  try {
    await callApi(request, { idempotent: false }, () =>
      kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'volumesnapshots', body }),
    );
  } catch (error) {
    if (!isK8sOpsError(error, 'conflict')) throw error;
    const existing = (await callApi({ ...request, verb: 'get' }, { idempotent: true }, () =>
      kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'volumesnapshots', name: snapshotName }),
    )) as VolumeSnapshotObject;
    if (existing.spec?.source?.persistentVolumeClaimName !== claim) {
      throw new K8sOpsError('conflict', `VolumeSnapshot ${namespace}/${snapshotName} already exists for another source`, {
        request,
        nextSteps: ['Choose another snapshot name, or delete the old snapshot if it is no longer needed.'],
      });
    }
  }
  return waitForObjects<VolumeSnapshotObject, VolumeSnapshotObject>(kube, {
    request: { ...request, verb: 'watch' },
    list: async () =>
      (await kube.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'volumesnapshots',
        fieldSelector: `metadata.name=${snapshotName}`,
      })) as { items: Array<VolumeSnapshotObject>; metadata?: { resourceVersion?: string } },
    watchPath: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/volumesnapshots`,
    fieldSelector: `metadata.name=${snapshotName}`,
    check: (items) => {
      const snap = items.get(snapshotName);
      if (snap?.status?.error?.message) {
        throw new K8sOpsError('server_error', `VolumeSnapshot ${namespace}/${snapshotName} failed: ${snap.status.error.message}`, {
          request,
          nextSteps: ['Check the CSI driver and the VolumeSnapshotClass; without a snapshot, the reset needs an explicit option to go on.'],
        });
      }
      return snap?.status?.readyToUse ? { done: true, value: snap } : { done: false, waitingFor: `snapshot ${snapshotName} to be ready to use` };
    },
    timeoutMs: options.timeoutMs ?? 600_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

import { snapshotPersistentVolumeClaim } from '../connection/k8s-ops-lazy.ts';
import { claimDeletedOnScaleDown, claimName, kubeAccess, observedKubernetes } from './kube-target.ts';
import { nothingToUndo, waitProgress, type StepDefinition } from './step-definition.ts';

/** A DNS-1123 name for the run's VolumeSnapshot of a claim. */
export function volumeSnapshotName(runId: string, claim: string): string {
  return `mr-${runId}-${claim}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 253)
    .replace(/-+$/, '');
}

/**
 * A VolumeSnapshot of Synapse's claim named after the run, waited on until readyToUse; an existing one is reused.
 * Planned only where the cluster serves VolumeSnapshots. The right moment is after the pod is gone (SQLite closed)
 * and before the claim is deleted; with whenScaled=Delete the scale-down itself deletes the claim, so then it can
 * only be taken before (the registry places it).
 */
export const volumeSnapshot: StepDefinition = {
  kind: 'volume-snapshot',
  describe(input) {
    const k = observedKubernetes(input);
    if (!k.volumeSnapshotsSupported) return undefined;
    const pvc = k.pvc.name ?? '(none)';
    return {
      description: claimDeletedOnScaleDown(input)
        ? `VolumeSnapshot of ${k.namespace}/${pvc} while Synapse still runs (whenScaled=Delete removes the claim on scale-down); wait readyToUse`
        : `VolumeSnapshot of ${k.namespace}/${pvc} once the pod is gone, before the claim is deleted; wait readyToUse`,
      observed: { pvc, pvcResourceVersion: k.pvc.state?.resourceVersion ?? null },
    };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const claim = claimName(context, target);
    const snapshotName = volumeSnapshotName(context.runId, claim);
    const snapshot = await snapshotPersistentVolumeClaim(kube, { namespace: target.namespace, claim, snapshotName, onProgress: waitProgress(context) });
    return { snapshot: snapshotName, readyToUse: snapshot.status?.readyToUse === true, restoreSize: snapshot.status?.restoreSize ?? null };
  },
  undo: nothingToUndo('a VolumeSnapshot: kept'),
};

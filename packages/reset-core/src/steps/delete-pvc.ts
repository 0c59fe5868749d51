import { deletePersistentVolumeClaim, waitForStatefulSetPodsGone } from '../connection/k8s-ops-lazy.ts';
import { ResetError } from '../reset-error.ts';
import { claimDeletedOnScaleDown, claimName, kubeAccess, observedKubernetes, observedString } from './kube-target.ts';
import { cannotUndo, waitProgress, type StepDefinition } from './step-definition.ts';

/**
 * Deletes the claim the plan observed (by uid: a claim of the same name created since is not ours) and waits until it
 * is gone; a 404 is success. Refuses while the StatefulSet still has pods (the claim would be held, or recreated).
 * Cannot be undone: the volume's data is gone (a VolumeSnapshot taken first can be restored by hand).
 */
export const deletePvc: StepDefinition = {
  kind: 'delete-pvc',
  describe(input) {
    const k = observedKubernetes(input);
    const pvc = k.pvc.name ?? '(none)';
    return {
      description:
        `Delete PVC ${k.namespace}/${pvc} and wait until it is gone (a 404 is success` +
        (claimDeletedOnScaleDown(input) ? ': whenScaled=Delete removes it on scale-down' : '') +
        `); reclaim policy ${k.pvc.state?.reclaimPolicy ?? 'unknown'}`,
      observed: { pvc, exists: k.pvc.state?.exists ?? false, uid: k.pvc.state?.uid ?? null, resourceVersion: k.pvc.state?.resourceVersion ?? null, reclaimPolicy: k.pvc.state?.reclaimPolicy ?? null },
    };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const claim = claimName(context, target);
    const ref = { namespace: target.namespace, name: target.statefulSet };
    const statefulSet = await kube.apps.readNamespacedStatefulSet(ref);
    if ((statefulSet.spec?.replicas ?? 0) !== 0) {
      throw new ResetError('step_failed', `StatefulSet ${ref.namespace}/${ref.name} is scaled to ${statefulSet.spec?.replicas ?? 0}, not 0: its claim is not deleted`, {
        nextSteps: ['Someone scaled it up during the run: scale it to 0 (or find out why), then resume the run.'],
      });
    }
    await waitForStatefulSetPodsGone(kube, ref);
    const expectedUid = observedString(context, 'uid');
    const result = await deletePersistentVolumeClaim(kube, {
      namespace: target.namespace,
      name: claim,
      ...(expectedUid === undefined ? {} : { expectedUid }),
      onProgress: waitProgress(context),
    });
    return { pvc: claim, alreadyGone: result.alreadyGone, checkedUid: expectedUid !== undefined };
  },
  undo: cannotUndo(
    () => 'a deleted volume cannot be put back',
    (context) => {
      const k = context.plan.observed.kubernetes;
      const pvc = k === undefined ? 'the PVC' : `PVC ${k.namespace}/${k.pvc.name ?? '(unnamed)'}`;
      const snapshot = context.ranKinds.get('volume-snapshot')?.state === 'finished';
      return [
        snapshot
          ? `${pvc} was deleted and Synapse was wiped; a VolumeSnapshot was taken first (step volume-snapshot): restoring it into a new claim is a manual step`
          : `${pvc} was deleted without a volume snapshot: Synapse was wiped (its users, devices, rooms and keys are gone for good)`,
      ];
    },
  ),
};

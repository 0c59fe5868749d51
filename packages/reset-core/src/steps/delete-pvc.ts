import type { Kube } from '@matrix-reset/k8s-ops';
import { deletePersistentVolumeClaim, loadK8sOps, readWorkload, waitForWorkloadPodsGone } from '../connection/k8s-ops-lazy.ts';
import type { ClaimRecreation } from '../observe/observe.ts';
import { ResetError } from '../reset-error.ts';
import { claimDeletedOnScaleDown, claimName, kubeAccess, observedKubernetes, observedString, plannedKubernetes, scaleCommand, workloadLabel } from './kube-target.ts';
import { cannotUndo, waitProgress, type StepContext, type StepDefinition } from './step-definition.ts';

/** The recreation settings a plan step carries (scalars: the plan's `observed` holds no objects). */
function recreationObserved(recreate: ClaimRecreation): Record<string, string | null> {
  return {
    recreateStorageClassName: recreate.storageClassName ?? null,
    recreateAccessModes: recreate.accessModes.join(','),
    recreateStorage: recreate.storage ?? null,
    recreateVolumeMode: recreate.volumeMode ?? null,
    recreateLabels: JSON.stringify(recreate.labels),
    recreateAnnotations: JSON.stringify(recreate.annotations),
  };
}

function jsonRecord(text: string | undefined): Record<string, string> {
  const parsed: unknown = text === undefined ? {} : JSON.parse(text);
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
}

/**
 * Creates the claim again, empty, as the plan observed it (storage class, access modes, size, volume mode, labels and
 * annotations; never its volume). Idempotent: a claim of that name already there (made by an earlier attempt, or by
 * someone else since) is left as it is.
 */
async function recreateClaim(kube: Kube, context: StepContext, namespace: string, name: string): Promise<boolean> {
  const { callApi, isK8sOpsError, readOrUndefined } = await loadK8sOps();
  const request = { verb: 'create', resource: 'persistentvolumeclaims', namespace, name };
  if ((await readOrUndefined({ ...request, verb: 'get' }, () => kube.core.readNamespacedPersistentVolumeClaim({ name, namespace }))) !== undefined) return false;
  const storageClassName = observedString(context, 'recreateStorageClassName');
  const storage = observedString(context, 'recreateStorage');
  const volumeMode = observedString(context, 'recreateVolumeMode');
  const accessModes = (observedString(context, 'recreateAccessModes') ?? 'ReadWriteOnce').split(',');
  const body = {
    metadata: { name, namespace, labels: jsonRecord(observedString(context, 'recreateLabels')), annotations: jsonRecord(observedString(context, 'recreateAnnotations')) },
    spec: {
      accessModes,
      ...(storageClassName === undefined ? {} : { storageClassName }),
      ...(volumeMode === undefined ? {} : { volumeMode }),
      ...(storage === undefined ? {} : { resources: { requests: { storage } } }),
    },
  };
  try {
    await callApi(request, { idempotent: false }, () => kube.core.createNamespacedPersistentVolumeClaim({ namespace, body }));
    return true;
  } catch (error) {
    if (isK8sOpsError(error, 'conflict')) return false;
    throw error;
  }
}

/**
 * Deletes the claim the plan observed (by uid: a claim of the same name created since is not ours) and waits until it
 * is gone; a 404 is success. A claim the pod template names in its volumes (a Deployment's, typically) is then
 * created again, empty, as it was (no controller would: Synapse's pod would wait for it for ever); a StatefulSet's
 * claim template's is recreated by its controller on scale-up. Refuses while Synapse or a worker still wants pods (the
 * claim would be held, or recreated). Cannot be undone: the volume's data is gone (a VolumeSnapshot taken first can
 * be restored by hand).
 */
export const deletePvc: StepDefinition = {
  kind: 'delete-pvc',
  describe(input) {
    const k = observedKubernetes(input);
    const pvc = k.pvc.name ?? '(none)';
    const recreate = k.pvc.source === 'podVolume' && k.pvc.recreate !== undefined ? k.pvc.recreate : undefined;
    return {
      description:
        `Delete PVC ${k.namespace}/${pvc} and wait until it is gone (a 404 is success` +
        (claimDeletedOnScaleDown(input) ? ': whenScaled=Delete removes it on scale-down' : '') +
        `); reclaim policy ${k.pvc.state?.reclaimPolicy ?? 'unknown'}` +
        (recreate === undefined
          ? ''
          : `; then create it again, empty (${recreate.storage ?? 'default size'}, storage class ${recreate.storageClassName ?? 'default'}, ${recreate.accessModes.join(',') || 'ReadWriteOnce'}): ${workloadLabel(k.namespace, k.workload)} names it in its pod template and nothing else recreates it`),
      observed: {
        pvc,
        exists: k.pvc.state?.exists ?? false,
        uid: k.pvc.state?.uid ?? null,
        resourceVersion: k.pvc.state?.resourceVersion ?? null,
        reclaimPolicy: k.pvc.state?.reclaimPolicy ?? null,
        source: k.pvc.source ?? null,
        ...(recreate === undefined ? {} : { recreate: true, ...recreationObserved(recreate) }),
      },
    };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const { namespace } = target;
    const claim = claimName(context, target);
    const planned = plannedKubernetes(context);
    for (const workload of [planned.workload, ...planned.workers]) {
      const now = await readWorkload(kube, { namespace, workload: { kind: workload.kind, name: workload.name } });
      if (now.replicas !== 0) {
        throw new ResetError('step_failed', `${workloadLabel(namespace, workload)} is scaled to ${now.replicas}, not 0: claim ${claim} is not deleted`, {
          nextSteps: [`Someone scaled it up during the run: scale it to 0 (${scaleCommand(namespace, workload, 0)}), or find out why, then resume the run.`],
        });
      }
    }
    await waitForWorkloadPodsGone(kube, { namespace, workload: { kind: planned.workload.kind, name: planned.workload.name } });
    const expectedUid = observedString(context, 'uid');
    const result = await deletePersistentVolumeClaim(kube, {
      namespace,
      name: claim,
      ...(expectedUid === undefined ? {} : { expectedUid }),
      onProgress: waitProgress(context),
    });
    const recreated = context.step.observed['recreate'] === true ? await recreateClaim(kube, context, namespace, claim) : false;
    return { pvc: claim, alreadyGone: result.alreadyGone, checkedUid: expectedUid !== undefined, recreated };
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

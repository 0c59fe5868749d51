import { scaleStatefulSet, waitForStatefulSetPodsGone } from '../connection/k8s-ops-lazy.ts';
import { kubeAccess, observedKubernetes } from './kube-target.ts';
import { waitProgress, type StepDefinition } from './step-definition.ts';

/** Scales Synapse's StatefulSet to 0 and waits until its pods are gone. */
export const scaleDown: StepDefinition = {
  kind: 'scale-down',
  describe(input) {
    const k = observedKubernetes(input);
    return {
      description: `Scale StatefulSet ${k.namespace}/${k.statefulSet.name} to 0 and wait until its pods are gone`,
      observed: { replicas: k.statefulSet.replicas, resourceVersion: k.statefulSet.resourceVersion },
      undo: `Scale it back to ${k.statefulSet.replicas}`,
    };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const ref = { namespace: target.namespace, name: target.statefulSet };
    const scaled = await scaleStatefulSet(kube, { ...ref, replicas: 0 });
    await waitForStatefulSetPodsGone(kube, { ...ref, onProgress: waitProgress(context) });
    return { previousReplicas: scaled.previousReplicas, replicas: 0, changed: scaled.changed };
  },
  async undo(context) {
    const k = context.plan.observed.kubernetes;
    const scaledUp = context.ranKinds.get('scale-up')?.state === 'finished';
    if (scaledUp || k === undefined) return { outcome: 'nothing-to-undo', summary: 'the run scaled the StatefulSet up again', cannotUndo: [], detail: {} };
    return {
      outcome: 'cannot-undo',
      summary: 'not scaled back by this version',
      cannotUndo: [`StatefulSet ${k.namespace}/${k.statefulSet.name} may still be at 0 replicas: scale it back by hand (kubectl -n ${k.namespace} scale statefulset ${k.statefulSet.name} --replicas=${k.statefulSet.replicas})`],
      detail: {},
    };
  },
};

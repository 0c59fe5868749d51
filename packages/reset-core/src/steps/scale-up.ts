import { scaleStatefulSet, waitForStatefulSetReady } from '../connection/k8s-ops-lazy.ts';
import { kubeAccess, observedKubernetes } from './kube-target.ts';
import { nothingToUndo, waitProgress, type StepDefinition } from './step-definition.ts';

/** Scales Synapse's StatefulSet to 1 and waits until it is ready (a new, empty claim is created). */
export const scaleUp: StepDefinition = {
  kind: 'scale-up',
  describe(input) {
    const k = observedKubernetes(input);
    return { description: `Scale StatefulSet ${k.namespace}/${k.statefulSet.name} to 1 and wait until it is ready (a new, empty claim is created)`, observed: { replicas: 1 } };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const replicas = typeof context.step.observed['replicas'] === 'number' ? context.step.observed['replicas'] : 1;
    const ref = { namespace: target.namespace, name: target.statefulSet };
    const scaled = await scaleStatefulSet(kube, { ...ref, replicas });
    const ready = await waitForStatefulSetReady(kube, { ...ref, onProgress: waitProgress(context) });
    return { replicas, readyReplicas: ready.status?.readyReplicas ?? 0, changed: scaled.changed };
  },
  undo: nothingToUndo('the new Synapse stays up (scaling it down would not bring the old data back)'),
};

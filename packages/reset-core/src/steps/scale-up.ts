import { scaleWorkload, waitForWorkloadReady } from '../connection/k8s-ops-lazy.ts';
import { kubeAccess, observedKubernetes, plannedKubernetes, workloadLabel, workloadList } from './kube-target.ts';
import { nothingToUndo, waitProgress, type StepDefinition } from './step-definition.ts';
import { resetsSynapseDatabase } from './synapse-database-target.ts';

/**
 * Scales Synapse's main workload back to the replicas the plan observed (at least 1: a reset ends with Synapse up) and
 * waits until it is ready (a StatefulSet's controller creates a new, empty claim; a Deployment's was recreated by
 * delete-pvc), then each worker back to its observed replicas, waiting until each is ready.
 */
export const scaleUp: StepDefinition = {
  kind: 'scale-up',
  describe(input) {
    const k = observedKubernetes(input);
    const replicas = Math.max(k.workload.replicas, 1);
    const workers = k.workers.map((w) => `${w.kind}/${w.name}=${w.replicas}`).join(',');
    return {
      description:
        `Scale ${workloadLabel(k.namespace, k.workload)} to ${replicas} and wait until it is ready (${resetsSynapseDatabase(input) ? (input.wipeMedia ? 'on its new, empty database and claim' : 'on its new, empty database') : 'on a new, empty claim'})` +
        (k.workers.length === 0 ? '' : `, then the workers (${workloadList(k.namespace, k.workers)}) back to their replicas, waiting until each is ready`),
      observed: { workload: `${k.workload.kind}/${k.workload.name}`, replicas, workers: workers === '' ? '(none)' : workers },
    };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const { namespace } = target;
    const planned = plannedKubernetes(context);
    const onProgress = waitProgress(context);
    const replicas = typeof context.step.observed['replicas'] === 'number' ? context.step.observed['replicas'] : Math.max(planned.workload.replicas, 1);
    const workload = { kind: planned.workload.kind, name: planned.workload.name };
    const scaled = await scaleWorkload(kube, { namespace, workload, replicas });
    const ready = await waitForWorkloadReady(kube, { namespace, workload, onProgress });
    let workersReady = 0;
    for (const worker of planned.workers) {
      const id = { kind: worker.kind, name: worker.name };
      await scaleWorkload(kube, { namespace, workload: id, replicas: worker.replicas });
      await waitForWorkloadReady(kube, { namespace, workload: id, onProgress });
      workersReady += 1;
    }
    return { workload: `${workload.kind}/${workload.name}`, replicas, readyReplicas: ready.readyReplicas, changed: scaled.changed, workers: planned.workers.length, workersReady };
  },
  undo: nothingToUndo('the new Synapse stays up (scaling it down would not bring the old data back)'),
};

import { scaleWorkload, waitForWorkloadPodsGone } from '../connection/k8s-ops-lazy.ts';
import { kubeAccess, observedKubernetes, plannedKubernetes, scaleCommand, workloadLabel, workloadList } from './kube-target.ts';
import { waitProgress, type StepDefinition } from './step-definition.ts';

/**
 * Scales Synapse's workers, then its main workload (a StatefulSet or a Deployment), to 0 and waits until each one's
 * pods are gone: workers first, so none is left talking to a main process that is going away. The workloads are the
 * ones the plan observed (apply refuses a plan whose workers changed).
 */
export const scaleDown: StepDefinition = {
  kind: 'scale-down',
  describe(input) {
    const k = observedKubernetes(input);
    const main = k.workload;
    const workers = k.workers.map((w) => `${w.kind}/${w.name}=${w.replicas}`).join(',');
    const what = k.workers.length === 0 ? workloadLabel(k.namespace, main) : `the workers (${workloadList(k.namespace, k.workers)}), then ${workloadLabel(k.namespace, main)},`;
    return {
      description: `Scale ${what} to 0 and wait until ${k.workers.length === 0 ? 'its' : 'their'} pods are gone`,
      observed: { workload: `${main.kind}/${main.name}`, replicas: main.replicas, generation: main.generation, workers: workers === '' ? '(none)' : workers },
      undo:
        k.workers.length === 0
          ? `Scale it back to ${main.replicas}`
          : `Scale ${workloadLabel(k.namespace, main)} back to ${main.replicas}, then the workers to theirs (${k.workers.map((w) => `${w.name}: ${w.replicas}`).join(', ')})`,
    };
  },
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const { namespace } = target;
    const planned = plannedKubernetes(context);
    const onProgress = waitProgress(context);
    let workersScaled = 0;
    for (const worker of planned.workers) {
      const workload = { kind: worker.kind, name: worker.name };
      if ((await scaleWorkload(kube, { namespace, workload, replicas: 0 })).changed) workersScaled += 1;
    }
    for (const worker of planned.workers) await waitForWorkloadPodsGone(kube, { namespace, workload: { kind: worker.kind, name: worker.name }, onProgress });
    const workload = { kind: planned.workload.kind, name: planned.workload.name };
    const scaled = await scaleWorkload(kube, { namespace, workload, replicas: 0 });
    await waitForWorkloadPodsGone(kube, { namespace, workload, onProgress });
    return { workload: `${workload.kind}/${workload.name}`, previousReplicas: scaled.previousReplicas, replicas: 0, changed: scaled.changed, workers: planned.workers.length, workersScaled };
  },
  async undo(context) {
    const k = context.plan.observed.kubernetes;
    const scaledUp = context.ranKinds.get('scale-up')?.state === 'finished';
    if (scaledUp || k === undefined) return { outcome: 'nothing-to-undo', summary: `the run scaled ${k === undefined ? 'Synapse' : workloadLabel(k.namespace, k.workload)} up again`, cannotUndo: [], detail: {} };
    const main = `${workloadLabel(k.namespace, k.workload)} may still be at 0 replicas: scale it back by hand (${scaleCommand(k.namespace, k.workload)})`;
    const workers = k.workers.map((w) => `worker ${workloadLabel(k.namespace, w)} may still be at 0 replicas: scale it back by hand once Synapse is up (${scaleCommand(k.namespace, w)})`);
    return { outcome: 'cannot-undo', summary: 'not scaled back by this version', cannotUndo: [main, ...workers], detail: {} };
  },
};

import { rolloutRestart, waitForRollout } from '../connection/k8s-ops-lazy.ts';
import { kubeAccess, observedKubernetes } from './kube-target.ts';
import { nothingToUndo, waitProgress, type StepDefinition } from './step-definition.ts';

/** Rollout-restarts every configured workload (the app, to read the new admin token) and waits for each rollout. */
export const restartWorkloads: StepDefinition = {
  kind: 'restart-workloads',
  describe(input) {
    // A full reset always has its Kubernetes target; restoring the admin token does not need one.
    if (input.mode === 'restore-admin' && input.observation.kubernetes === undefined) return undefined;
    const k = observedKubernetes(input);
    return {
      description: `Rollout-restart ${k.restart.map((r) => `${r.kind} ${r.name}`).join(', ') || 'nothing'} and wait for the rollouts`,
      observed: Object.fromEntries(k.restart.map((r) => [`${r.kind} ${r.name}`, r.generation ?? null])),
    };
  },
  // Running it again restarts again: harmless.
  async execute(context) {
    const { kube, target } = kubeAccess(context);
    const detail: Record<string, string> = {};
    for (const workload of target.restart) {
      const ref = { kind: workload.kind, namespace: target.namespace, name: workload.name };
      const { restartedAt } = await rolloutRestart(kube, ref);
      await waitForRollout(kube, { ...ref, onProgress: waitProgress(context) });
      detail[`${workload.kind} ${workload.name}`] = restartedAt;
    }
    return { workloads: target.restart.length, ...detail };
  },
  undo: nothingToUndo('a rollout restart: nothing to put back'),
};

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kube } from './kube-config.ts';
import { listWorkloads } from './list-workloads.ts';
import { collect, namespacePool, testKube } from './test-support/kube-env.ts';
import { kubectlNames } from './test-support/kubectl.ts';
import { sleepDeployment, sleepStatefulSet } from './test-support/workload-manifests.ts';

let kube: Kube;
const namespaces = namespacePool(() => kube);
beforeAll(() => {
  kube = testKube();
});
afterAll(() => namespaces.deleteAll());

/** Synapse, three workers (two Deployments, one StatefulSet) and an unrelated app, none of them running pods. */
async function synapseWithWorkers(namespace: string): Promise<void> {
  const labels = (component: string) => ({ 'app.kubernetes.io/instance': 'matrix', 'app.kubernetes.io/component': component });
  await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('matrix-synapse', { replicas: 0, labels: labels('synapse') }) });
  await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('matrix-synapse-federation-sender', { replicas: 0, labels: labels('worker') }) });
  await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('matrix-synapse-generic-worker', { replicas: 0, labels: labels('worker') }) });
  await kube.apps.createNamespacedStatefulSet({ namespace, body: sleepStatefulSet('matrix-synapse-pusher', [], { replicas: 0, labels: labels('worker') }) });
  await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('openmeet-api', { replicas: 0, labels: { app: 'openmeet-api' } }) });
}

describe('listing Synapse workers by label selector', () => {
  it('lists the Deployments and StatefulSets kubectl lists for the selector, with their replicas', async () => {
    const namespace = await namespaces.fresh();
    await synapseWithWorkers(namespace);
    await kube.apps.patchNamespacedDeployment({ namespace, name: 'matrix-synapse-generic-worker', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] });
    const selector = 'app.kubernetes.io/instance=matrix,app.kubernetes.io/component=worker';

    const workers = await collect(listWorkloads(kube, { namespace, selector }));
    expect(workers.map((w) => [w.kind, w.name, w.replicas])).toEqual([
      ['Deployment', 'matrix-synapse-federation-sender', 0],
      ['Deployment', 'matrix-synapse-generic-worker', 2],
      ['StatefulSet', 'matrix-synapse-pusher', 0],
    ]);
    expect(workers[1]).toMatchObject({ namespace, selector, labels: { 'app.kubernetes.io/component': 'worker', 'app.kubernetes.io/instance': 'matrix' } });
    const ours = workers.map((w) => `${w.kind.toLowerCase()}.apps/${w.name}`).sort();
    expect(ours).toEqual(await kubectlNames(['get', 'deployments,statefulsets', '-n', namespace, '-l', selector]));
  });

  it('follows the continue token page by page, takes set-based selectors, and lists only the kinds asked for', async () => {
    const namespace = await namespaces.fresh();
    await synapseWithWorkers(namespace);
    const names = async (options: Omit<Parameters<typeof listWorkloads>[1], 'namespace'>) =>
      (await collect(listWorkloads(kube, { namespace, ...options }))).map((w) => w.name);

    expect(await names({ selector: 'app.kubernetes.io/component in (synapse,worker)', pageSize: 1 })).toEqual([
      'matrix-synapse',
      'matrix-synapse-federation-sender',
      'matrix-synapse-generic-worker',
      'matrix-synapse-pusher',
    ]);
    expect(await names({ selector: 'app.kubernetes.io/component=worker', kinds: ['StatefulSet'] })).toEqual(['matrix-synapse-pusher']);
    expect(await names({ selector: 'app.kubernetes.io/component=none' })).toEqual([]);
  });

  it('refuses an empty selector, which would take every workload in the namespace for a worker', async () => {
    await expect(collect(listWorkloads(kube, { namespace: 'any', selector: ' ' }))).rejects.toThrow(RangeError);
  });
});

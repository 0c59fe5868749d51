import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kube } from './kube-config.ts';
import { scaleWorkload, waitForWorkloadPodsGone, waitForWorkloadReady } from './scale-workload.ts';
import { namespacePool, testKube } from './test-support/kube-env.ts';
import { kubectl, kubectlNames } from './test-support/kubectl.ts';
import { sleepDeployment, sleepStatefulSet } from './test-support/workload-manifests.ts';
import { waitForObjects } from './wait-for-objects.ts';

let kube: Kube;
const namespaces = namespacePool(() => kube);
beforeAll(() => {
  kube = testKube();
});
afterAll(() => namespaces.deleteAll());

describe('scaling a Synapse Deployment', () => {
  it('scales to 0, waits until kubectl lists none of its pods, and back up until kubectl calls it rolled out', async () => {
    const namespace = await namespaces.fresh();
    const workload = { kind: 'Deployment', name: 'synapse' } as const;
    await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('synapse', { replicas: 2 }) });
    const first = await waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 60_000 });
    expect(first).toMatchObject({ kind: 'Deployment', name: 'synapse', replicas: 2, readyReplicas: 2, selector: 'app=synapse' });

    expect(await scaleWorkload(kube, { namespace, workload, replicas: 0 })).toMatchObject({ previousReplicas: 2, replicas: 0, changed: true });
    await waitForWorkloadPodsGone(kube, { namespace, workload, timeoutMs: 60_000 });
    expect(await kubectlNames(['get', 'pods', '-n', namespace, '-l', 'app=synapse'])).toEqual([]);
    expect((await kubectl(['get', 'deployment', 'synapse', '-n', namespace, '-o', 'jsonpath={.spec.replicas}'])).stdout).toBe('0');
    // Idempotent: scaling to the count it has writes nothing.
    expect(await scaleWorkload(kube, { namespace, workload, replicas: 0 })).toMatchObject({ previousReplicas: 0, changed: false });

    await scaleWorkload(kube, { namespace, workload, replicas: 1 });
    const ready = await waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 60_000 });
    expect(ready).toMatchObject({ replicas: 1, readyReplicas: 1 });
    const status = await kubectl(['rollout', 'status', 'deployment/synapse', '-n', namespace, '--timeout=5s']);
    expect(status.code).toBe(0);
    expect(status.stdout.trim()).toBe(ready.rolloutMessage);
  });

  it("waits for an old ReplicaSet's pod too, and not for a worker's pod that its selector also matches", async () => {
    const namespace = await namespaces.fresh();
    // The worker's labels are a superset of Synapse's: Synapse's selector (app=synapse) matches the worker's pod.
    // Synapse's pods stay Terminating for 5 s, so the wait starts while both are still there.
    await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('synapse', { labels: { app: 'synapse' }, ignoreTermSeconds: 5 }) });
    await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('synapse-worker', { labels: { app: 'synapse', role: 'worker' } }) });
    const workload = { kind: 'Deployment', name: 'synapse' } as const;
    await waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 60_000 });
    await waitForWorkloadReady(kube, { namespace, workload: { kind: 'Deployment', name: 'synapse-worker' }, timeoutMs: 60_000 });

    // A new revision whose pod never gets ready: the old ReplicaSet's pod stays beside it.
    await kube.apps.patchNamespacedDeployment({
      namespace,
      name: 'synapse',
      body: [{ op: 'add', path: '/spec/template/spec/containers/0/readinessProbe', value: { tcpSocket: { port: 1 }, periodSeconds: 1 } }],
    });
    const synapsePods = await waitForObjects<V1Pod, string[]>(kube, {
      request: { verb: 'watch', resource: 'pods', namespace },
      list: () => kube.core.listNamespacedPod({ namespace, labelSelector: 'app=synapse,!role' }),
      watchPath: `/api/v1/namespaces/${namespace}/pods`,
      labelSelector: 'app=synapse,!role',
      check: (pods) => {
        const hashes = new Set([...pods.values()].filter((p) => p.status?.phase === 'Running').map((p) => p.metadata?.labels?.['pod-template-hash']));
        return hashes.size === 2 ? { done: true, value: [...pods.keys()].sort() } : { done: false, waitingFor: 'pods of two revisions running' };
      },
      timeoutMs: 60_000,
    });
    const replicaSets = await kubectlNames(['get', 'replicasets', '-n', namespace, '-l', 'app=synapse,!role']);
    expect(replicaSets).toHaveLength(2);

    await scaleWorkload(kube, { namespace, workload, replicas: 0 });
    const progress: string[] = [];
    await waitForWorkloadPodsGone(kube, { namespace, workload, timeoutMs: 60_000, onProgress: (p) => progress.push(p.waitingFor) });
    expect(progress[0]).toMatch(new RegExp(`^pods to go: ${synapsePods[0]}( \\(terminating\\))?, ${synapsePods[1]}( \\(terminating\\))?$`));
    expect(await kubectlNames(['get', 'pods', '-n', namespace, '-l', 'app=synapse,!role'])).toEqual([]);
    const workerPods = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'role=worker' })).items;
    expect(workerPods.map((p) => [p.status?.phase, p.metadata?.deletionTimestamp])).toEqual([['Running', undefined]]);
  });
});

describe('scaling a StatefulSet through the kind-neutral functions', () => {
  it('scales to 0 and back, as scaleStatefulSet does', async () => {
    const namespace = await namespaces.fresh();
    const workload = { kind: 'StatefulSet', name: 'synapse' } as const;
    await kube.apps.createNamespacedStatefulSet({ namespace, body: sleepStatefulSet('synapse', ['data']) });
    await waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 60_000 });
    expect(await scaleWorkload(kube, { namespace, workload, replicas: 0 })).toMatchObject({ previousReplicas: 1, changed: true });
    await waitForWorkloadPodsGone(kube, { namespace, workload, timeoutMs: 60_000 });
    expect(await kubectlNames(['get', 'pods', '-n', namespace])).toEqual([]);
    await scaleWorkload(kube, { namespace, workload, replicas: 1 });
    expect(await waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 60_000 })).toMatchObject({ kind: 'StatefulSet', replicas: 1, readyReplicas: 1 });
  });
});

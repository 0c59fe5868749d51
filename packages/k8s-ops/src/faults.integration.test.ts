import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { K8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { scaleStatefulSet, scaleWorkload, waitForStatefulSetPodsGone, waitForWorkloadPodsGone, waitForWorkloadReady } from './scale-workload.ts';
import { listWorkloads } from './list-workloads.ts';
import { readWorkload } from './read-workload.ts';
import { readKey } from './secret-data.ts';
import { readStatefulSetShape } from './statefulset-shape.ts';
import { clearFaults, collect, freshNamespace, injectFault, readyStatefulSet, testKube } from './test-support/kube-env.ts';
import { sleepDeployment } from './test-support/workload-manifests.ts';
import { waitForObjects } from './wait-for-objects.ts';
import { workloadClaims } from './workload-claims.ts';

let kube: Kube;
beforeAll(() => {
  kube = testKube();
});
afterEach(async () => {
  await clearFaults(kube);
});


describe('k8s-ops under injected faults', () => {
  it('retries a 409 on scale from a fresh read', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');
    await injectFault(kube, { verb: 'update', resource: 'statefulsets/scale', namespace, times: 1, effect: { kind: 'status', code: 409 } });
    const result = await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 });
    expect(result).toMatchObject({ previousReplicas: 1, replicas: 0, changed: true });
    expect((await kube.apps.readNamespacedStatefulSet({ namespace, name: 'matrix' })).spec?.replicas).toBe(0);
  });

  it('backs off a 429 as Retry-After asks and then succeeds', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');
    await injectFault(kube, { verb: 'get', resource: 'statefulsets', namespace, times: 2, effect: { kind: 'status', code: 429, retryAfterSeconds: 1 } });
    const started = Date.now();
    const shape = await readStatefulSetShape(kube, { namespace, name: 'matrix' });
    expect(shape.replicas).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });

  it('resumes a dropped watch and still sees the change it waits for', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');
    await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 });
    const waiting = waitForStatefulSetPodsGone(kube, { namespace, name: 'matrix', timeoutMs: 60_000 });
    await injectFault(kube, { dropWatches: true });
    await waiting;
    await expect(kube.core.readNamespacedPod({ namespace, name: 'matrix-0' })).rejects.toMatchObject({ code: 404 });
  });

  it('sees objects created while its watch was down', async () => {
    const namespace = await freshNamespace(kube);
    const seen = waitForObjects<V1Pod, string>(kube, {
      request: { verb: 'watch', resource: 'configmaps', namespace },
      list: () => kube.core.listNamespacedConfigMap({ namespace }),
      watchPath: `/api/v1/namespaces/${namespace}/configmaps`,
      check: (items) => (items.has('late') ? { done: true, value: 'late' } : { done: false, waitingFor: 'configmap late' }),
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    await injectFault(kube, { dropWatches: true });
    await kube.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'late' }, data: {} } });
    expect(await seen).toBe('late');
  });

  it('turns a 403 into an error naming the verb, resource and namespace', async () => {
    const namespace = await freshNamespace(kube);
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'api' }, stringData: { K: 'v' } } });
    await injectFault(kube, { deny: { verb: 'get', resource: 'secrets', namespace } });
    const error = (await readKey(kube, { namespace, name: 'api', key: 'K' }).catch((e: unknown) => e)) as K8sOpsError;
    expect(error).toBeInstanceOf(K8sOpsError);
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain(`cannot get secrets/api in namespace ${namespace}`);
    expect(error.nextSteps.join('\n')).toContain(`the verb "get" on "secrets" in namespace "${namespace}"`);
  });

  it('a 403 is an expected failure: a string code and next steps as an array of strings, as the CLI and the service test', async () => {
    const namespace = await freshNamespace(kube);
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'api' }, stringData: { K: 'v' } } });
    await injectFault(kube, { deny: { verb: 'get', resource: 'secrets', namespace } });
    const error: unknown = await readKey(kube, { namespace, name: 'api', key: 'K' }).catch((e: unknown) => e);
    // The duck typing of apps/cli's expectedFailure and apps/http's toApiError: a string `code` and an array `nextSteps`.
    const { code, nextSteps } = error as { code?: unknown; nextSteps?: unknown };
    expect(typeof code).toBe('string');
    expect(Array.isArray(nextSteps)).toBe(true);
    expect(nextSteps).toEqual([
      `Grant the identity in your kubeconfig the verb "get" on "secrets" in namespace "${namespace}".`,
      '`matrix-reset rbac` prints the whole Role the plan needs.',
    ]);
  });

  it('a 403 on a Deployment names the workload\'s resource, verb and namespace, for every workload operation', async () => {
    const namespace = await freshNamespace(kube);
    const workload = { kind: 'Deployment', name: 'synapse' } as const;
    await kube.apps.createNamespacedDeployment({ namespace, body: sleepDeployment('synapse', { replicas: 0 }) });
    await injectFault(kube, { deny: { verb: 'get', resource: 'deployments', namespace } });
    for (const run of [
      () => readWorkload(kube, { namespace, workload }),
      () => workloadClaims(kube, { namespace, workload }),
      () => waitForWorkloadPodsGone(kube, { namespace, workload }),
      () => waitForWorkloadReady(kube, { namespace, workload }),
    ]) {
      const error = (await run().catch((e: unknown) => e)) as K8sOpsError;
      expect(error).toBeInstanceOf(K8sOpsError);
      expect(error.code).toBe('forbidden');
      expect(error.message).toContain(`cannot get deployments.apps/synapse in namespace ${namespace}`);
      expect(error.nextSteps[0]).toBe(`Grant the identity in your kubeconfig the verb "get" on "deployments.apps" in namespace "${namespace}".`);
    }

    await injectFault(kube, { deny: { verb: 'update', resource: 'deployments/scale', namespace } });
    await injectFault(kube, { deny: { verb: 'list', resource: 'statefulsets', namespace } });
    const scale = (await scaleWorkload(kube, { namespace, workload, replicas: 1 }).catch((e: unknown) => e)) as K8sOpsError;
    expect(scale.code).toBe('forbidden');
    expect(scale.nextSteps[0]).toBe(`Grant the identity in your kubeconfig the verb "update" on "deployments.apps/scale" in namespace "${namespace}".`);
    const list = (await collect(listWorkloads(kube, { namespace, selector: 'app=synapse' })).catch((e: unknown) => e)) as K8sOpsError;
    expect(list.code).toBe('forbidden');
    expect(list.message).toContain(`cannot list statefulsets.apps in namespace ${namespace}`);
  });
});

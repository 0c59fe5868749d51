import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { listWorkloads } from './list-workloads.ts';
import { readWorkload } from './read-workload.ts';
import { rolloutRestart, waitForRollout } from './rollout-restart.ts';
import { scaleWorkload, waitForWorkloadPodsGone, waitForWorkloadReady } from './scale-workload.ts';
import { collect, namespacePool, testKube } from './test-support/kube-env.ts';
import { kubectl } from './test-support/kubectl.ts';
import { workloadClaims } from './workload-claims.ts';
import type { WorkloadId, WorkloadKind } from './workload-ref.ts';

let kube: Kube;
const namespaces = namespacePool(() => kube);
beforeAll(() => {
  kube = testKube();
});
afterAll(() => namespaces.deleteAll());

/** Every operation on one workload, as a caller would run it. */
const operations: [string, (namespace: string, workload: WorkloadId) => Promise<unknown>][] = [
  ['readWorkload', (namespace, workload) => readWorkload(kube, { namespace, workload })],
  ['scaleWorkload', (namespace, workload) => scaleWorkload(kube, { namespace, workload, replicas: 0 })],
  ['waitForWorkloadPodsGone', (namespace, workload) => waitForWorkloadPodsGone(kube, { namespace, workload, timeoutMs: 5_000 })],
  ['waitForWorkloadReady', (namespace, workload) => waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 5_000 })],
  ['workloadClaims', (namespace, workload) => workloadClaims(kube, { namespace, workload })],
  ['listWorkloads', (namespace, workload) => collect(listWorkloads(kube, { namespace, selector: 'app=synapse', kinds: [workload.kind] }))],
  ['rolloutRestart', (namespace, workload) => rolloutRestart(kube, { namespace, ...workload })],
  ['waitForRollout', (namespace, workload) => waitForRollout(kube, { namespace, ...workload, timeoutMs: 5_000 })],
];

async function failure(run: Promise<unknown>): Promise<K8sOpsError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(K8sOpsError);
  return error as K8sOpsError;
}

describe('a workload kind other than StatefulSet or Deployment', () => {
  it.each(operations)('%s refuses it as workload_kind_unknown before any request', async (_, operation) => {
    // The namespace does not exist: any request would answer 404, so the error comes before one.
    const error = await failure(operation('no-such-namespace', { kind: 'DaemonSet' as WorkloadKind, name: 'synapse' }));
    expect(error.code).toBe('workload_kind_unknown');
    expect(error.message).toMatch(/^Unknown workload kind "DaemonSet"/);
    expect(error.nextSteps[0]).toBe('Set the kind to StatefulSet or Deployment.');
  });

  it('names the kind meant when only its case is wrong', async () => {
    const error = await failure(scaleWorkload(kube, { namespace: 'no-such-namespace', workload: { kind: 'deployment' as WorkloadKind, name: 'synapse' }, replicas: 0 }));
    expect(error.code).toBe('workload_kind_unknown');
    expect(error.message).toBe('Unknown workload kind "deployment" (workload synapse): Synapse runs as a StatefulSet or a Deployment');
    expect(error.nextSteps[0]).toBe('Write the kind as Deployment (kinds are case-sensitive).');
  });
});

describe('a workload that does not exist', () => {
  const onOneWorkload = operations.filter(([name]) => !['listWorkloads', 'waitForRollout'].includes(name));
  it.each(onOneWorkload)('%s fails with not_found naming the Deployment and its namespace, as kubectl does', async (_, operation) => {
    const namespace = await namespaces.fresh();
    const error = await failure(operation(namespace, { kind: 'Deployment', name: 'synapse' }));
    expect(error.code).toBe('not_found');
    expect(error.status).toBe(404);
    expect(error.message).toBe(`Deployment synapse does not exist in namespace ${namespace}`);
    const byKubectl = await kubectl(['get', 'deployment', 'synapse', '-n', namespace]);
    expect(byKubectl.code).not.toBe(0);
    expect(byKubectl.stderr).toContain('NotFound');
  });

  it.each(['StatefulSet', 'Deployment'] as const)('a missing %s says which, where, and how to list what is there', async (kind) => {
    const namespace = await namespaces.fresh();
    for (const run of [
      () => scaleWorkload(kube, { namespace, workload: { kind, name: 'matrix' }, replicas: 1 }),
      () => waitForWorkloadPodsGone(kube, { namespace, workload: { kind, name: 'matrix' } }),
      () => waitForWorkloadReady(kube, { namespace, workload: { kind, name: 'matrix' } }),
      () => workloadClaims(kube, { namespace, workload: { kind, name: 'matrix' } }),
    ]) {
      const error = await failure(run());
      expect(error.code).toBe('not_found');
      expect(error.message).toBe(`${kind} matrix does not exist in namespace ${namespace}`);
      expect(error.nextSteps[0]).toBe(`List the workloads there: kubectl get deployments,statefulsets -n ${namespace}`);
    }
  });
});

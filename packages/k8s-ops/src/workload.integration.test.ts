import type { V1Deployment } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { deletePersistentVolumeClaim } from './delete-pvc.ts';
import { K8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { rolloutRestart, waitForRollout, RESTARTED_AT_ANNOTATION } from './rollout-restart.ts';
import { scaleStatefulSet, waitForStatefulSetPodsGone, waitForStatefulSetReady } from './scale-workload.ts';
import { readStatefulSetShape } from './statefulset-shape.ts';
import { appDeployment, freshNamespace, readyStatefulSet, testKube } from './test-support/kube-env.ts';

let kube: Kube;
beforeAll(() => {
  kube = testKube();
});


describe('the runbook reset of a StatefulSet volume', () => {
  it('scales to 0, waits for the pod, deletes the claim until gone, scales up with a new empty claim', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');

    const shape = await readStatefulSetShape(kube, { namespace, name: 'matrix' });
    expect(shape.replicas).toBe(1);
    expect(shape.volumeClaimTemplates).toEqual(['data']);
    expect(shape.retentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    const claim = shape.claims[0]!;
    expect(claim).toMatchObject({ name: 'data-matrix-0', exists: true, phase: 'Bound' });
    expect(claim.reclaimPolicy).toBe('Delete');

    const progress: string[] = [];
    expect(await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 })).toMatchObject({ previousReplicas: 1, changed: true });
    await waitForStatefulSetPodsGone(kube, { namespace, name: 'matrix', timeoutMs: 60_000, onProgress: (p) => progress.push(p.waitingFor) });
    await expect(kube.core.readNamespacedPod({ namespace, name: 'matrix-0' })).rejects.toMatchObject({ code: 404 });

    expect(await deletePersistentVolumeClaim(kube, { namespace, name: 'data-matrix-0', expectedUid: claim.uid! })).toMatchObject({ alreadyGone: false });
    await expect(kube.core.readNamespacedPersistentVolumeClaim({ namespace, name: 'data-matrix-0' })).rejects.toMatchObject({ code: 404 });

    // Idempotent: the second run of each step changes nothing and succeeds.
    expect(await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 })).toMatchObject({ changed: false });
    expect(await deletePersistentVolumeClaim(kube, { namespace, name: 'data-matrix-0', expectedUid: claim.uid! })).toEqual({ alreadyGone: true });

    await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 1 });
    await waitForStatefulSetReady(kube, { namespace, name: 'matrix', timeoutMs: 60_000 });
    const after = await readStatefulSetShape(kube, { namespace, name: 'matrix' });
    expect(after.readyReplicas).toBe(1);
    expect(after.claims[0]?.exists).toBe(true);
    expect(after.claims[0]?.uid).not.toBe(claim.uid);
  });

  it('keeps a claim in use Terminating, naming the pod, until the pod is gone', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'db');
    const error = await deletePersistentVolumeClaim(kube, { namespace, name: 'data-db-0', timeoutMs: 3_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(K8sOpsError);
    expect((error as K8sOpsError).code).toBe('timeout');
    expect((error as K8sOpsError).message).toMatch(/claim data-db-0 to go \(terminating, finalizers: kubernetes\.io\/pvc-protection; pods still using it: db-0\)/);
    const pvc = await kube.core.readNamespacedPersistentVolumeClaim({ namespace, name: 'data-db-0' });
    expect(pvc.metadata?.deletionTimestamp).toBeDefined();

    await scaleStatefulSet(kube, { namespace, name: 'db', replicas: 0 });
    await deletePersistentVolumeClaim(kube, { namespace, name: 'data-db-0', timeoutMs: 60_000 });
    await expect(kube.core.readNamespacedPersistentVolumeClaim({ namespace, name: 'data-db-0' })).rejects.toMatchObject({ code: 404 });
  });

  it('refuses to scale when the Scale moved on from what a plan observed', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');
    const observed = await readStatefulSetShape(kube, { namespace, name: 'matrix' });
    await kube.apps.patchNamespacedStatefulSet(
      { namespace, name: 'matrix', body: [{ op: 'add', path: '/metadata/labels/touched', value: 'yes' }] },
    );
    const error = await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0, expectedResourceVersion: observed.resourceVersion }).catch((e: unknown) => e);
    expect((error as K8sOpsError).code).toBe('stale_precondition');
    expect((await kube.apps.readNamespacedStatefulSet({ namespace, name: 'matrix' })).spec?.replicas).toBe(1);
  });
});

describe('rollout restart', () => {
  it('replaces the Deployment\'s pod and waits until kubectl would call it rolled out', async () => {
    const namespace = await freshNamespace(kube);
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'api-secrets' }, stringData: { MATRIX_ADMIN_ACCESS_TOKEN: 'old' } } });
    await kube.apps.createNamespacedDeployment({ namespace, body: appDeployment('api', 'api-secrets') as V1Deployment });
    await waitForRollout(kube, { kind: 'Deployment', namespace, name: 'api', timeoutMs: 60_000 });
    const podsBefore = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=api' })).items.map((p) => p.metadata?.name);

    const { restartedAt } = await rolloutRestart(kube, { kind: 'Deployment', namespace, name: 'api' }, new Date('2026-11-26T12:00:00.123Z'));
    expect(restartedAt).toBe('2026-11-26T12:00:00Z');
    const message = await waitForRollout(kube, { kind: 'Deployment', namespace, name: 'api', timeoutMs: 60_000 });
    expect(message).toBe('deployment "api" successfully rolled out');

    const deployment = await kube.apps.readNamespacedDeployment({ namespace, name: 'api' });
    expect(deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(restartedAt);
    const podsAfter = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=api' })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.name);
    expect(podsAfter).toHaveLength(1);
    expect(podsBefore).not.toContain(podsAfter[0]);
  });

  it('refuses a paused Deployment', async () => {
    const namespace = await freshNamespace(kube);
    const body = appDeployment('paused', 'none') as V1Deployment;
    body.spec!.paused = true;
    await kube.apps.createNamespacedDeployment({ namespace, body });
    const error = await rolloutRestart(kube, { kind: 'Deployment', namespace, name: 'paused' }).catch((e: unknown) => e);
    expect((error as K8sOpsError).code).toBe('rollout_paused');
  });
});

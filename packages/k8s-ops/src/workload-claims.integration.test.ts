import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePersistentVolumeClaim } from './delete-pvc.ts';
import type { Kube } from './kube-config.ts';
import { scaleWorkload, waitForWorkloadPodsGone, waitForWorkloadReady } from './scale-workload.ts';
import { namespacePool, testKube } from './test-support/kube-env.ts';
import { kubectl } from './test-support/kubectl.ts';
import { claim, sleepDeployment, sleepStatefulSet } from './test-support/workload-manifests.ts';
import { workloadClaims } from './workload-claims.ts';

let kube: Kube;
const namespaces = namespacePool(() => kube);
beforeAll(() => {
  kube = testKube();
});
afterAll(() => namespaces.deleteAll());

/** The claim's uid as the real kubectl reads it. */
async function uidByKubectl(namespace: string, name: string): Promise<string> {
  const result = await kubectl(['get', 'pvc', name, '-n', namespace, '-o', 'jsonpath={.metadata.uid}']);
  if (result.code !== 0) throw new Error(result.stderr);
  return result.stdout;
}

describe('the claims of a Synapse Deployment (the ananace chart\'s shape)', () => {
  it('finds the media claim from the pod template\'s volumes, with its mount path and state', async () => {
    const namespace = await namespaces.fresh();
    await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body: claim('matrix-synapse') });
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'matrix-synapse-signingkey' }, stringData: { 'signing.key': 'ed25519 a_key x' } } });
    await kube.apps.createNamespacedDeployment({
      namespace,
      body: sleepDeployment('matrix-synapse', {
        volumes: [
          { name: 'media', persistentVolumeClaim: { claimName: 'matrix-synapse' } },
          { name: 'signingkey', secret: { secretName: 'matrix-synapse-signingkey' } },
          { name: 'tmpfs', emptyDir: {} },
        ],
        volumeMounts: [
          { name: 'media', mountPath: '/synapse/data' },
          { name: 'signingkey', mountPath: '/synapse/keys' },
          { name: 'tmpfs', mountPath: '/tmp' },
        ],
        initContainers: [{ name: 'fix-permissions', image: 'busybox', command: ['true'], volumeMounts: [{ name: 'media', mountPath: '/data', readOnly: true }] }],
      }),
    });
    await waitForWorkloadReady(kube, { namespace, workload: { kind: 'Deployment', name: 'matrix-synapse' }, timeoutMs: 60_000 });

    const claims = await workloadClaims(kube, { namespace, workload: { kind: 'Deployment', name: 'matrix-synapse' } });
    expect(claims).toHaveLength(1);
    const media = claims[0]!;
    expect(media).toMatchObject({ name: 'matrix-synapse', source: 'podVolume', volume: 'media', exists: true, phase: 'Bound', terminating: false, reclaimPolicy: 'Delete' });
    expect(media.ordinal).toBeUndefined();
    expect(media.mounts).toEqual([
      { container: 'fix-permissions', init: true, mountPath: '/data', readOnly: true },
      { container: 'synapse', init: false, mountPath: '/synapse/data', readOnly: false },
    ]);
    expect(media.uid).toBe(await uidByKubectl(namespace, 'matrix-synapse'));
  });

  it('lists a claim the pod template names that does not exist as exists: false', async () => {
    const namespace = await namespaces.fresh();
    await kube.apps.createNamespacedDeployment({
      namespace,
      body: sleepDeployment('synapse', { replicas: 0, volumes: [{ name: 'media', persistentVolumeClaim: { claimName: 'synapse-media' } }] }),
    });
    const claims = await workloadClaims(kube, { namespace, workload: { kind: 'Deployment', name: 'synapse' } });
    expect(claims).toEqual([{ name: 'synapse-media', exists: false, terminating: false, source: 'podVolume', volume: 'media', mounts: [] }].map((c) => expect.objectContaining(c)));
    expect((await kubectl(['get', 'pvc', 'synapse-media', '-n', namespace])).stderr).toContain('NotFound');
  });
});

describe('the claims of a Synapse StatefulSet (ess-helm\'s shape)', () => {
  it('names one claim per template and ordinal, keeps those left past the replicas, and adds the pod template\'s claims', async () => {
    const namespace = await namespaces.fresh();
    await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body: claim('synapse-media') });
    const workload = { kind: 'StatefulSet', name: 'synapse' } as const;
    await kube.apps.createNamespacedStatefulSet({
      namespace,
      body: sleepStatefulSet('synapse', ['data'], {
        replicas: 2,
        volumes: [{ name: 'media', persistentVolumeClaim: { claimName: 'synapse-media' } }],
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'media', mountPath: '/media', subPath: 'store' },
        ],
      }),
    });
    await waitForWorkloadReady(kube, { namespace, workload, timeoutMs: 60_000 });

    const summary = (claims: Awaited<ReturnType<typeof workloadClaims>>) => claims.map((c) => [c.name, c.source, c.ordinal, c.exists, c.mounts.map((m) => m.mountPath)]);
    const running = await workloadClaims(kube, { namespace, workload });
    expect(summary(running)).toEqual([
      ['data-synapse-0', 'volumeClaimTemplate', 0, true, ['/data']],
      ['data-synapse-1', 'volumeClaimTemplate', 1, true, ['/data']],
      ['synapse-media', 'podVolume', undefined, true, ['/media']],
    ]);
    expect(running[2]?.mounts).toEqual([{ container: 'synapse', init: false, mountPath: '/media', subPath: 'store', readOnly: false }]);
    expect(running[1]?.uid).toBe(await uidByKubectl(namespace, 'data-synapse-1'));

    // Scaled to 0 (retention Retain): both ordinals' claims are still there and still listed.
    await scaleWorkload(kube, { namespace, workload, replicas: 0 });
    await waitForWorkloadPodsGone(kube, { namespace, workload, timeoutMs: 60_000 });
    expect(summary(await workloadClaims(kube, { namespace, workload })).map((c) => [c[0], c[3]])).toEqual([
      ['data-synapse-0', true],
      ['data-synapse-1', true],
      ['synapse-media', true],
    ]);

    // The first ordinal's claim deleted: still named (exists: false), as the claim a scale-up will recreate.
    await deletePersistentVolumeClaim(kube, { namespace, name: 'data-synapse-0', timeoutMs: 60_000 });
    const afterDelete = await workloadClaims(kube, { namespace, workload });
    expect(afterDelete.map((c) => [c.name, c.exists])).toEqual([
      ['data-synapse-0', false],
      ['data-synapse-1', true],
      ['synapse-media', true],
    ]);
  });
});

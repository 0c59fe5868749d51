import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type CoreV1Api,
  type V1Deployment,
  type V1PodSpec,
  type V1StatefulSet,
  type V1StatefulSetPersistentVolumeClaimRetentionPolicy,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from './kube-sim.ts';
import { sharedKubeSim } from './test-support/shared-kube-sim.ts';
import { clientsFor, eventually, failure } from './test-support/client-node.ts';
import { kubectl } from './test-support/kubectl.ts';

// Controllers (graceful pods, garbage collection, StatefulSet, volumes, Deployment) with real pods of the small
// app image, driven by client-node and, for rollout status, kubectl. One sim for the file; a namespace per test.

const currentSim = sharedKubeSim();
let sim: KubeSim;
let core: CoreV1Api;
let apps: AppsV1Api;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const appPod: V1PodSpec = { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'kube-sim/app' }] };

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function deployment(name: string, podSpec: V1PodSpec = appPod, extra: Partial<V1Deployment['spec']> = {}): V1Deployment {
  return {
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec }, ...extra },
  };
}

function statefulSet(name: string, policy?: V1StatefulSetPersistentVolumeClaimRetentionPolicy, withClaims = true): V1StatefulSet {
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { ...appPod, containers: [{ name: 'app', image: 'kube-sim/app', ...(withClaims ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}) }] },
      },
      ...(withClaims ? { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } : {}),
      ...(policy === undefined ? {} : { persistentVolumeClaimRetentionPolicy: policy }),
    },
  };
}

/** Resolves once `read` rejects with a 404. */
async function gone(read: () => Promise<unknown>, what: string, timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => {
      try {
        await read();
        return undefined;
      } catch (error) {
        return (error as { code?: number }).code === 404 ? true : undefined;
      }
    },
    timeoutMs,
    `${what} gone`,
  );
}

async function readyPod(ns: string, labelSelector: string): Promise<string> {
  return eventually(
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector })).items;
      const ready = pods.find((pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready?.metadata?.name;
    },
    20_000,
    `a ready pod ${labelSelector}`,
  );
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  sim = currentSim();
  ({ core, apps } = clientsFor(sim.kubeconfigPath));
});

describe('graceful pod termination', () => {
  it('a deleted pod that ignores SIGTERM shows deletionTimestamp for its grace period, then it and its process are gone', async () => {
    const ns = await namespace('graceful');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'stubborn', labels: { app: 'stubborn' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'] }],
        },
      },
    });
    await readyPod(ns, 'app=stubborn');
    const running = await core.readNamespacedPod({ namespace: ns, name: 'stubborn' });
    const pid = Number(/^kube-sim:\/\/(\d+)$/.exec(running.status?.containerStatuses?.[0]?.containerID ?? '')?.[1]);
    expect(processAlive(pid)).toBe(true);

    const started = Date.now();
    const answered = await core.deleteNamespacedPod({ namespace: ns, name: 'stubborn' });
    expect(answered.metadata?.deletionTimestamp).toBeDefined();
    expect(answered.metadata?.deletionGracePeriodSeconds).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await core.readNamespacedPod({ namespace: ns, name: 'stubborn' })).metadata?.deletionTimestamp).toBeDefined();
    await gone(() => core.readNamespacedPod({ namespace: ns, name: 'stubborn' }), 'pod stubborn');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(processAlive(pid)).toBe(false);
  });
});

describe('garbage collection', () => {
  it('deleting a Deployment deletes its ReplicaSets and their pods', async () => {
    const ns = await namespace('gc-background');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web') });
    await readyPod(ns, 'app=web');
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'web' });
    await eventually(async () => ((await apps.listNamespacedReplicaSet({ namespace: ns })).items.length === 0 ? true : undefined), 20_000, 'ReplicaSets gone');
    await eventually(async () => ((await core.listNamespacedPod({ namespace: ns })).items.length === 0 ? true : undefined), 20_000, 'pods gone');
  });

  it('deleting a Deployment with propagationPolicy Orphan leaves its ReplicaSet and pod, without the ownerReference', async () => {
    const ns = await namespace('gc-orphan');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web') });
    const pod = await readyPod(ns, 'app=web');
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'web', body: { propagationPolicy: 'Orphan' } });
    await gone(() => apps.readNamespacedDeployment({ namespace: ns, name: 'web' }), 'deployment web');
    const replicaSets = (await apps.listNamespacedReplicaSet({ namespace: ns })).items;
    expect(replicaSets).toHaveLength(1);
    expect(replicaSets[0]?.metadata?.ownerReferences ?? []).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stillThere = await core.readNamespacedPod({ namespace: ns, name: pod });
    expect(stillThere.metadata?.deletionTimestamp).toBeUndefined();
  });
});

describe('StatefulSet', () => {
  it('whenScaled: Delete deletes the claim on scale to 0, so a later delete of it answers 404', async () => {
    const ns = await namespace('sts-when-scaled');
    await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet('db', { whenScaled: 'Delete', whenDeleted: 'Retain' }) });
    await readyPod(ns, 'app=db');
    expect((await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data-db-0' })).metadata?.name).toBe('data-db-0');
    await apps.patchNamespacedStatefulSetScale({ namespace: ns, name: 'db', body: { spec: { replicas: 0 } } }, merge);
    await gone(() => core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data-db-0' }), 'claim data-db-0');
    expect((await failure(core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data-db-0' }))).code).toBe(404);
  });

  it('whenDeleted: Delete deletes the claim with the StatefulSet', async () => {
    const ns = await namespace('sts-when-deleted');
    await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet('db', { whenScaled: 'Retain', whenDeleted: 'Delete' }) });
    await readyPod(ns, 'app=db');
    await apps.deleteNamespacedStatefulSet({ namespace: ns, name: 'db' });
    await gone(() => core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data-db-0' }), 'claim data-db-0');
  });

  it('the default retention (Retain) keeps the claim after the StatefulSet is deleted', async () => {
    const ns = await namespace('sts-retain');
    await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet('db') });
    await readyPod(ns, 'app=db');
    await apps.deleteNamespacedStatefulSet({ namespace: ns, name: 'db' });
    await gone(() => core.readNamespacedPod({ namespace: ns, name: 'db-0' }), 'pod db-0');
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data-db-0' });
    expect(claim.metadata?.deletionTimestamp).toBeUndefined();
  });

  it('a template change makes a new ControllerRevision and updateRevision; currentRevision follows once rolled', async () => {
    const ns = await namespace('sts-revisions');
    await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet('web', undefined, false) });
    const first = await eventually(async () => {
      const status = (await apps.readNamespacedStatefulSet({ namespace: ns, name: 'web' })).status;
      return status?.readyReplicas === 1 && status.currentRevision === status.updateRevision ? status.updateRevision : undefined;
    });
    await apps.patchNamespacedStatefulSet({ namespace: ns, name: 'web', body: { spec: { template: { metadata: { annotations: { rev: '2' } } } } } }, merge);
    const revisions = await eventually(async () => {
      const list = (await apps.listNamespacedControllerRevision({ namespace: ns })).items;
      return list.length === 2 ? list : undefined;
    });
    expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2]);
    const second = revisions.find((r) => r.revision === 2)?.metadata?.name;
    expect(second).not.toBe(first);
    const rolled = await eventually(async () => {
      const status = (await apps.readNamespacedStatefulSet({ namespace: ns, name: 'web' })).status;
      return status?.currentRevision === second && status?.updateRevision === second && status?.readyReplicas === 1 ? status : undefined;
    }, 30_000, 'currentRevision = the new revision');
    expect(rolled.updatedReplicas).toBe(1);
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'web-0' });
    expect(pod.metadata?.labels?.['controller-revision-hash']).toBe(second);
  });
});

describe('volumes', () => {
  async function boundDirectory(ns: string, claim: string): Promise<{ pv: string; directory: string }> {
    const pv = await eventually(async () => (await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: claim })).spec?.volumeName || undefined);
    const directory = (await core.readPersistentVolume({ name: pv })).spec?.hostPath?.path ?? '';
    return { pv, directory };
  }

  it('a PVC a running pod uses stays Terminating until the pod is gone', async () => {
    const ns = await namespace('pvc-protection');
    await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'user', labels: { app: 'user' } },
        spec: { ...appPod, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }], containers: [{ name: 'app', image: 'kube-sim/app', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      },
    });
    await readyPod(ns, 'app=user');
    const answered = await core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' });
    expect(answered.metadata?.deletionTimestamp).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const terminating = await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' });
    expect(terminating.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    await core.deleteNamespacedPod({ namespace: ns, name: 'user' });
    await gone(() => core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' }), 'claim data');
  });

  it('reclaim policy Delete removes the PV and its directory when the claim goes', async () => {
    const ns = await namespace('reclaim-delete');
    await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } });
    const { pv, directory } = await boundDirectory(ns, 'data');
    await writeFile(join(directory, 'homeserver.db'), 'data');
    await core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' });
    await gone(() => core.readPersistentVolume({ name: pv }), `pv ${pv}`);
    expect(existsSync(directory)).toBe(false);
  });

  it('reclaim policy Retain leaves a Released PV with its data when the claim goes', async () => {
    const ns = await namespace('reclaim-retain');
    const { StorageV1Api } = await import('@kubernetes/client-node');
    const storage = clientsFor(sim.kubeconfigPath).kc.makeApiClient(StorageV1Api);
    await storage.createStorageClass({ body: { metadata: { name: 'keep' }, provisioner: 'kube-sim.local/hostpath', reclaimPolicy: 'Retain' } });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { metadata: { name: 'data' }, spec: { storageClassName: 'keep', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    const { pv, directory } = await boundDirectory(ns, 'data');
    await writeFile(join(directory, 'homeserver.db'), 'keep me');
    await core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' });
    await gone(() => core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' }), 'claim data');
    const released = await eventually(async () => {
      const volume = await core.readPersistentVolume({ name: pv });
      return volume.status?.phase === 'Released' ? volume : undefined;
    });
    expect(released.spec?.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(await readFile(join(directory, 'homeserver.db'), 'utf8')).toBe('keep me');
  });
});

describe('Deployment', () => {
  it('a finished rollout reports observedGeneration, updated/ready/available replicas and NewReplicaSetAvailable', async () => {
    const ns = await namespace('deploy-status');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web') });
    const done = await eventually(async () => {
      const found = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return found.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable') ? found : undefined;
    }, 20_000, 'NewReplicaSetAvailable');
    expect(done.status).toMatchObject({ observedGeneration: done.metadata?.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    const progressing = done.status?.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing?.status).toBe('True');
    const result = await kubectl(sim.kubeconfigPath, ['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s']);
    expect(result.stdout).toContain('deployment "web" successfully rolled out');
  });

  it('a pod that never becomes ready exceeds progressDeadlineSeconds; kubectl rollout status fails saying so', async () => {
    const ns = await namespace('deploy-deadline');
    const neverReady: V1PodSpec = {
      ...appPod,
      containers: [{ name: 'app', image: 'kube-sim/app', readinessProbe: { httpGet: { path: '/never-ready', port: 3000 }, periodSeconds: 1 } }],
    };
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', neverReady, { progressDeadlineSeconds: 2 }) });
    const stuck = await eventually(async () => {
      const found = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return found.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
    }, 15_000, 'ProgressDeadlineExceeded');
    expect(stuck.status).toBe('False');
    const result = await kubectl(sim.kubeconfigPath, ['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('deployment "web" exceeded its progress deadline');
  });
});

import { randomBytes } from 'node:crypto';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { execInPod } from './pod-exec.ts';
import { forceExternalSecretSync } from './external-secret-sync.ts';
import type { Kube } from './kube-config.ts';
import { readKey } from './secret-data.ts';
import { scaleStatefulSet, waitForStatefulSetPodsGone } from './scale-workload.ts';
import { freshNamespace, readyStatefulSet, testKube } from './test-support/kube-env.ts';
import { snapshotPersistentVolumeClaim, volumeSnapshotsSupported } from './volume-snapshot.ts';
import { rolloutRestart, waitForRollout, RESTARTED_AT_ANNOTATION } from './rollout-restart.ts';

let kube: Kube;
beforeAll(() => {
  kube = testKube();
});

describe('VolumeSnapshot of a claim', () => {
  it('is supported when the snapshot CRDs are served, and becomes readyToUse with the data in it', async () => {
    expect(await volumeSnapshotsSupported(kube)).toBe(true);
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');
    await execInPod(kube, { namespace, pod: 'matrix-0', command: ['sh', '-c', 'echo precious > /data/homeserver.db'] });
    await scaleStatefulSet(kube, { namespace, name: 'matrix', replicas: 0 });
    await waitForStatefulSetPodsGone(kube, { namespace, name: 'matrix', timeoutMs: 60_000 });

    const snapshot = await snapshotPersistentVolumeClaim(kube, { namespace, claim: 'data-matrix-0', snapshotName: 'before-reset', timeoutMs: 60_000 });
    expect(snapshot.status?.readyToUse).toBe(true);
    // Idempotent: taking the same snapshot again waits on the existing one.
    const again = await snapshotPersistentVolumeClaim(kube, { namespace, claim: 'data-matrix-0', snapshotName: 'before-reset', timeoutMs: 60_000 });
    expect(again.metadata?.uid).toBe(snapshot.metadata?.uid);

    // The snapshot holds the data: a claim restored from it has the file.
    await kube.core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: 'restored' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
          dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'before-reset' },
        },
      },
    });
    const reader = {
      metadata: { name: 'reader' },
      spec: {
        containers: [{ name: 'app', image: 'kube-sim/app', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'restored' } }],
      },
    };
    await kube.core.createNamespacedPod({ namespace, body: reader });
    let content = '';
    for (let i = 0; i < 100 && content !== 'precious\n'; i++) {
      content = await execInPod(kube, { namespace, pod: 'reader', command: ['cat', '/data/homeserver.db'] }).then((r) => r.stdout, () => '');
      if (content !== 'precious\n') await new Promise((r) => setTimeout(r, 200));
    }
    expect(content).toBe('precious\n');
  });
});

describe('forceExternalSecretSync', () => {
  it('makes External Secrets copy a new SSM value into the Secret now, not at the next refresh', async () => {
    const namespace = await freshNamespace(kube);
    const parameter = `/k8s-ops-test/${randomBytes(4).toString('hex')}/token`;
    const ssm = new SSMClient({});
    await ssm.send(new PutParameterCommand({ Name: parameter, Value: 'first-value', Type: 'SecureString' }));
    await kube.custom.createNamespacedCustomObject({
      group: 'external-secrets.io',
      version: 'v1',
      namespace,
      plural: 'secretstores',
      body: { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'ssm' }, spec: { provider: { aws: { service: 'ParameterStore', region: 'us-east-1' } } } },
    });
    await kube.custom.createNamespacedCustomObject({
      group: 'external-secrets.io',
      version: 'v1',
      namespace,
      plural: 'externalsecrets',
      body: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: 'api' },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { kind: 'SecretStore', name: 'ssm' },
          target: { name: 'api-secrets' },
          data: [{ secretKey: 'TOKEN', remoteRef: { key: parameter } }],
        },
      },
    });
    for (let i = 0; i < 100 && !(await readKey(kube, { namespace, name: 'api-secrets', key: 'TOKEN' })).exists; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await readKey(kube, { namespace, name: 'api-secrets', key: 'TOKEN' });
    expect(before.value).toBe('first-value');
    expect(before.managedBy?.kind).toBe('external-secrets');

    await ssm.send(new PutParameterCommand({ Name: parameter, Value: 'rotated-value', Type: 'SecureString', Overwrite: true }));
    const secret = await forceExternalSecretSync(kube, {
      namespace,
      name: 'api',
      until: (s) => Buffer.from(s.data?.['TOKEN'] ?? '', 'base64').toString() === 'rotated-value',
      timeoutMs: 30_000,
    });
    expect(secret.metadata?.resourceVersion).not.toBe(before.resourceVersion);
    const es = (await kube.custom.getNamespacedCustomObject({ group: 'external-secrets.io', version: 'v1', namespace, plural: 'externalsecrets', name: 'api' })) as {
      metadata: { annotations?: Record<string, string> };
    };
    expect(es.metadata.annotations?.['force-sync']).toMatch(/^\d+$/);
  });
});

describe('rollout restart of a StatefulSet', () => {
  it('annotates the pod template and waits until kubectl would call it rolled out', async () => {
    const namespace = await freshNamespace(kube);
    await readyStatefulSet(kube, namespace, 'matrix');
    const before: V1StatefulSet = await kube.apps.readNamespacedStatefulSet({ namespace, name: 'matrix' });
    const { restartedAt } = await rolloutRestart(kube, { kind: 'StatefulSet', namespace, name: 'matrix' });
    const message = await waitForRollout(kube, { kind: 'StatefulSet', namespace, name: 'matrix', timeoutMs: 60_000 });
    // The API server defaults rollingUpdate.partition to 0, and kubectl then reports a partitioned rollout.
    expect(message).toBe('partitioned roll out complete: 1 new pods have been updated...');
    const after = await kube.apps.readNamespacedStatefulSet({ namespace, name: 'matrix' });
    expect(after.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(restartedAt);
    expect(after.status?.updateRevision).not.toBe(before.status?.updateRevision);
  });
});

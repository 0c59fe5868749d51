import { randomBytes } from 'node:crypto';
import { createKube, loadKubeConfig, waitForStatefulSetReady, type Kube } from '@matrix-reset/k8s-ops';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEnvironment, type EnvironmentConnection } from '../connection/connect-environment.ts';
import { observe, type Observation } from './observe.ts';
import { parseResetConfig, resolveEnvironment } from '../config/reset-config.ts';
import { synapseStatefulSet } from '../test-support/synapse-statefulset.ts';

// One real Synapse pod in kube-sim, observed the way a plan observes it: through a port-forward, homeserver.yaml read
// by exec, the StatefulSet and its claim, snapshot support, and a Secret External Secrets manages.
let kube: Kube;
let namespace: string;
let connection: EnvironmentConnection;
let observation: Observation;


beforeAll(async () => {
  const kubeconfig = process.env['KUBECONFIG'];
  if (!kubeconfig) throw new Error('KUBECONFIG is not set: run through scripts/test or nx test (kube-sim global setup)');
  kube = createKube(loadKubeConfig({ kubeconfigPath: kubeconfig }));
  namespace = `observe-${randomBytes(4).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await kube.core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'api-secrets', labels: { 'reconcile.external-secrets.io/managed': 'true' } },
      stringData: { MATRIX_ADMIN_ACCESS_TOKEN: '' },
    },
  });
  await kube.apps.createNamespacedStatefulSet({ namespace, body: synapseStatefulSet() });
  await waitForStatefulSetReady(kube, { namespace, name: 'matrix', timeoutMs: 90_000 });

  const config = parseResetConfig(
    [
      'version: 1',
      'environments:',
      '  sim:',
      '    kubernetes:',
      `      context: ${kube.config.getCurrentContext()}`,
      `      kubeconfig: ${kubeconfig}`,
      `      namespace: ${namespace}`,
      '      statefulSet: matrix',
      '    synapse:',
      '      portForward: { pod: matrix-0, port: 8008 }',
      '      serverName: matrix-local.openmeet.test',
      '      sharedSecret: env:UNUSED_SHARED_SECRET',
      '    adminToken:',
      `      - { token: "k8s-secret:${namespace}/api-secrets#MATRIX_ADMIN_ACCESS_TOKEN" }`,
      '    appDatabase:',
      '      url: env:DATABASE_URL',
      '      layout: openmeet',
      '',
    ].join('\n'),
    { path: 'observe-kubernetes.yaml' },
  );
  connection = await connectEnvironment(resolveEnvironment(config, 'sim'));
  observation = await observe(connection.environment, connection);
}, 180_000);

afterAll(async () => {
  await connection?.close();
});

describe('observe on Kubernetes', () => {
  it('reaches Synapse through a port-forward to the pod', () => {
    expect(observation.synapse.serverVersion).toBe('1.163.2');
    expect(observation.synapse.authMode).toBe('native');
  });

  it('reads homeserver.yaml in the pod: SQLite on the claim, so deleting the PVC wipes the users', () => {
    expect(observation.storage.engine).toBe('sqlite3');
    if (observation.storage.engine !== 'sqlite3') return;
    expect(observation.storage.onClaimTemplate).toBe('data');
    expect(observation.storage.pvcDeletionWipesUsers).toBe(true);
  });

  it('records the StatefulSet, its derived claim with reclaim policy, and snapshot support', () => {
    const k8s = observation.kubernetes!;
    expect(k8s.namespace).toBe(namespace);
    expect(k8s.workload).toMatchObject({ kind: 'StatefulSet', name: 'matrix', replicas: 1, retentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } });
    expect(k8s.workload.resourceVersion).not.toBe('');
    expect(k8s.pod).toBe('matrix-0');
    expect(k8s.workers).toEqual([]);
    expect(k8s.pvc).toMatchObject({ name: 'data-matrix-0', derived: true, chosenBy: 'database', source: 'volumeClaimTemplate', recreate: undefined });
    expect(k8s.pvc.state).toMatchObject({ exists: true, reclaimPolicy: 'Delete' });
    expect(k8s.volumeSnapshotsSupported).toBe(true);
  });

  it('says the admin-token Secret is managed by External Secrets', () => {
    const target = observation.secrets.find((s) => s.role === 'admin-token');
    expect(target).toMatchObject({ kind: 'k8s-secret', exists: true });
    expect(target?.managedBy).toMatchObject({ kind: 'external-secrets' });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(observation.kubernetes)).toBe(true);
  });
});

import { randomBytes } from 'node:crypto';
import { createKube, loadKubeConfig, type Kube } from '@matrix-reset/k8s-ops';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHomeserverDatabase } from './observe-homeserver.ts';

// homeserver.yaml kept in a ConfigMap or a Secret (ESS keeps it in a Secret, with the database password inline),
// read through the real Kubernetes API of kube-sim.
let kube: Kube;
let namespace: string;
const sharedSecret = `rss-${randomBytes(12).toString('hex')}`;
const password = `dbpw-${randomBytes(12).toString('hex')}`;
const homeserverYaml = [
  'server_name: matrix.example.test',
  `registration_shared_secret: ${sharedSecret}`,
  'media_store_path: /media/store',
  'database:',
  '  name: psycopg2',
  `  args: { host: ess-postgres.ess.svc.cluster.local, port: 5432, user: synapse_user, password: ${password}, database: synapse }`,
  '',
].join('\n');

beforeAll(async () => {
  const kubeconfig = process.env['KUBECONFIG'];
  if (!kubeconfig) throw new Error('KUBECONFIG is not set: run through scripts/test or nx test (kube-sim global setup)');
  kube = createKube(loadKubeConfig({ kubeconfigPath: kubeconfig }));
  namespace = `hsrc-${randomBytes(4).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'ess-synapse' }, stringData: { 'homeserver.yaml': homeserverYaml } } });
  await kube.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'synapse-config' }, data: { 'config.yaml': homeserverYaml } } });
});

afterAll(async () => {
  await kube?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('homeserver.yaml from a ConfigMap or a Secret', () => {
  it.each([
    ['secret', { secret: 'ess-synapse', key: 'homeserver.yaml' }, 'Secret'],
    ['configMap', { configMap: 'synapse-config', key: 'config.yaml' }, 'ConfigMap'],
  ] as const)('reads a %s key: its storage, media store, database password and inline shared secret (wrapped, never in the storage)', async (_kind, source, described) => {
    const read = await readHomeserverDatabase({ source, kube, namespace });
    expect(read.storage).toMatchObject({ engine: 'psycopg2', host: 'ess-postgres.ess.svc.cluster.local', port: 5432, database: 'synapse', user: 'synapse_user', pvcDeletionWipesUsers: false });
    expect(read.storage.source).toContain(`${described} ${namespace}/`);
    expect(read.mediaStorePath).toBe('/media/store');
    expect(read.password?.reveal()).toBe(password);
    expect(read.registrationSharedSecret?.reveal()).toBe(sharedSecret);
    expect(JSON.stringify(read.storage)).not.toContain(password);
    expect(JSON.stringify(read)).not.toContain(sharedSecret);
  });

  it('a missing key is an unknown storage saying which', async () => {
    const read = await readHomeserverDatabase({ source: { secret: 'ess-synapse', key: 'nope.yaml' }, kube, namespace });
    expect(read.storage).toMatchObject({ engine: 'unknown', reason: 'Secret ess-synapse has no key nope.yaml' });
    expect(read.registrationSharedSecret).toBeUndefined();
  });
});

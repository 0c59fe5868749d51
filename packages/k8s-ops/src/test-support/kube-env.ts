import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import type { V1Namespace, V1StatefulSet } from '@kubernetes/client-node';
import { createKube, loadKubeConfig, type Kube } from '../kube-config.ts';
import { waitForStatefulSetReady } from '../scale-workload.ts';

/** The cluster the tests run against: kube-sim, named by KUBECONFIG (set by the sandbox or kube-sim's global setup). */
export function testKube(): Kube {
  const path = process.env['KUBECONFIG'];
  if (!path) throw new Error('KUBECONFIG is not set: run the tests through scripts/test or `nx test` (the global setup starts kube-sim)');
  return createKube(loadKubeConfig({ kubeconfigPath: path }));
}

/** A fresh namespace per test, so tests never share state. */
export async function freshNamespace(kube: Kube, prefix = 'k8s-ops'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const body: V1Namespace = { metadata: { name } };
  await kube.core.createNamespace({ body });
  return name;
}

/** A fault for kube-sim's `/_kube-sim/faults` endpoint (see tools/kube-sim/README.md). */
export type Fault = Record<string, unknown>;

/** Asks kube-sim (KUBE_SIM_FAULTS_URL) to inject a fault, authorized with the kubeconfig's token. */
export async function injectFault(kube: Kube, fault: Fault): Promise<void> {
  await faultsRequest(kube, 'POST', fault);
}

/** Removes every fault kube-sim holds. */
export async function clearFaults(kube: Kube): Promise<void> {
  await faultsRequest(kube, 'DELETE');
}

/** One call to kube-sim's fault endpoint, over TLS with the cluster's CA and the kubeconfig's token. */
async function faultsRequest(kube: Kube, method: 'POST' | 'DELETE', body?: Fault): Promise<void> {
  const url = process.env['KUBE_SIM_FAULTS_URL'];
  if (!url) throw new Error("KUBE_SIM_FAULTS_URL is not set: the tests need kube-sim's fault endpoint");
  const caData = kube.config.getCurrentCluster()?.caData;
  const response = await request(url, {
    method,
    headers: {
      authorization: `Bearer ${kube.config.getCurrentUser()?.token ?? ''}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    dispatcher: new Agent({ connect: caData ? { ca: Buffer.from(caData, 'base64') } : {} }),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`fault endpoint answered HTTP ${response.statusCode}: ${text}`);
}

/** A StatefulSet of kube-sim's small app image with one volume claim template, like Synapse's. */
export function appStatefulSet(name: string, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: 'kube-sim/app',
              ports: [{ containerPort: 3000 }],
              readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      ],
    },
  };
}

/** A Deployment of kube-sim's app image reading one env variable from a Secret at start. */
export function appDeployment(name: string, secretName: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'api',
              image: 'openmeet/api',
              ports: [{ containerPort: 3000 }],
              env: [{ name: 'MATRIX_ADMIN_ACCESS_TOKEN', valueFrom: { secretKeyRef: { name: secretName, key: 'MATRIX_ADMIN_ACCESS_TOKEN' } } }],
              readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}


/** Creates an app StatefulSet (see {@link appStatefulSet}) and waits until it is ready. */
export async function readyStatefulSet(kube: Kube, namespace: string, name: string): Promise<void> {
  await kube.apps.createNamespacedStatefulSet({ namespace, body: appStatefulSet(name) as V1StatefulSet });
  await waitForStatefulSetReady(kube, { namespace, name, timeoutMs: 60_000 });
}

/** Fresh namespaces (see {@link freshNamespace}) that `deleteAll` deletes with everything in them, for an afterAll. */
export function namespacePool(kube: () => Kube, prefix = 'k8s-ops'): { fresh: () => Promise<string>; deleteAll: () => Promise<void> } {
  const created: string[] = [];
  return {
    fresh: async () => {
      const name = await freshNamespace(kube(), prefix);
      created.push(name);
      return name;
    },
    deleteAll: async () => {
      await Promise.all(created.splice(0).map((name) => kube().core.deleteNamespace({ name })));
    },
  };
}

/** Every item of an async iterable, in order (the lib the packages compile against has no Array.fromAsync). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

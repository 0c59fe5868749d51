import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createApiServer, parseResourcePath } from './api-server.ts';
import { ControllerLoop } from './controller-loop.ts';
import { DeploymentController } from './deployment-controller.ts';
import { createExecHandler } from './exec-websocket.ts';
import { createPortForwardHandler } from './port-forward.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { builtinKinds } from './kinds.ts';
import { Kubelet } from './kubelet.ts';
import { PodNetwork } from './pod-network.ts';
import { ServiceProxy } from './service-proxy.ts';
import { StatefulSetController } from './statefulset-controller.ts';
import { VolumeController } from './volume-controller.ts';
import { CUSTOM_RESOURCE_SETS, enableCustomResources, type CustomResourceSet } from './custom-resources.ts';
import { ExternalSecretController, ssmClientFromEnv } from './external-secret-controller.ts';
import { FAULTS_PATH, faultsRoute } from './fault-routes.ts';
import { VolumeSnapshotController } from './volume-snapshot-controller.ts';
import { generateServingCertificates } from './certificates.ts';
import { FaultInjector } from './fault-injection.ts';
import { appendFileSync } from 'node:fs';
import type { KubeObject } from './kube-object.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { KubeSimError } from './kube-sim-error.ts';
import { ObjectStore } from './object-store.ts';
import { loadScenario } from './scenario.ts';
import type { ScenarioDatabase } from './scenario-postgres.ts';
import { BUILTIN_RESOURCE_TYPES, ResourceRegistry } from './resource-types.ts';

export interface StartKubeSimOptions {
  /** Where the kubeconfig, certificates, volumes and pod logs go. Default: a fresh directory under the OS tmpdir. */
  stateDir?: string;
  /** API server port on 127.0.0.1; default a free one. */
  port?: number;
  /** The kubeconfig context's namespace. Default: the scenario's first namespace, else `default`. */
  namespace?: string;
  /** Objects to create at start: a built-in scenario name (`openmeet-dev`) or a YAML file. */
  scenario?: string;
  /**
   * CRD sets to serve (with their controllers) even when the scenario does not use them: `external-secrets`
   * (ExternalSecret, SecretStore, ClusterSecretStore; syncs from SSM at `AWS_ENDPOINT_URL_SSM`) and
   * `volume-snapshots` (VolumeSnapshot, VolumeSnapshotContent, VolumeSnapshotClass). Default: none.
   */
  customResources?: readonly CustomResourceSet[];
}

/** What `<stateDir>/kube-sim.json` holds once the API answers (no token: that is in the kubeconfig). */
export interface KubeSimReadyFile {
  url: string;
  kubeconfigPath: string;
  /** `POST`/`DELETE` here with the kubeconfig's bearer token (see the README for the bodies). */
  faultsUrl: string;
  pid: number;
}

/** The file {@link startKubeSim} writes into the state directory when it is ready. */
export const READY_FILE = 'kube-sim.json';

/** A running simulator. */
export interface KubeSim {
  readonly stateDir: string;
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** The bearer token (also in the kubeconfig); do not log it. */
  readonly token: string;
  /** `${url}/_kube-sim/faults`: fault injection over HTTP, same bearer token. */
  readonly faultsUrl: string;
  /** The CA that signed the server certificate (PEM). */
  readonly caCert: string;
  readonly faults: FaultInjector;
  readonly store: ObjectStore;
  readonly registry: ResourceRegistry;
  /** The Postgres databases the scenario's `PostgresDatabaseSeed` made (dropped by `stop()`). */
  readonly scenarioDatabases: readonly ScenarioDatabase[];
  /** Stops the API server and every pod process. Idempotent. */
  stop(): Promise<void>;
}

const NAMESPACE_TYPE = BUILTIN_RESOURCE_TYPES.find((t) => t.kind === 'Namespace');

function seed(store: ObjectStore, registry: ResourceRegistry): void {
  const namespaceType = NAMESPACE_TYPE;
  const storageClassType = registry.find('storage.k8s.io', 'v1', 'storageclasses');
  if (namespaceType === undefined || storageClassType === undefined) throw new Error('built-in kinds missing');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create(namespaceType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const standard: KubeObject = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kube-sim.local/hostpath',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  };
  store.create(storageClassType, undefined, standard);
}

/**
 * Starts the simulator: an HTTPS Kubernetes API on 127.0.0.1 with a throwaway CA, a bearer token, and a
 * kubeconfig (`<stateDir>/kubeconfig`, context `kube-sim`) that kubectl and client-node can use.
 *
 * @example
 * const sim = await startKubeSim({ stateDir: '/tmp/sim' });
 * execFileSync('kubectl', ['get', 'ns'], { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } });
 * await sim.stop();
 */
export async function startKubeSim(options: StartKubeSimOptions = {}): Promise<KubeSim> {
  const stateDir = options.stateDir === undefined ? await mkdtemp(join(tmpdir(), 'kube-sim-')) : resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true });
  const certs = await generateServingCertificates(join(stateDir, 'pki'));
  const token = randomBytes(24).toString('base64url');
  const registry = new ResourceRegistry(BUILTIN_RESOURCE_TYPES);
  const store = new ObjectStore(registry);
  const faults = new FaultInjector();
  faults.onDropWatches(() => store.compact());
  await rm(join(stateDir, READY_FILE), { force: true });
  seed(store, registry);
  const unknownSets = (options.customResources ?? []).filter((set) => !CUSTOM_RESOURCE_SETS.includes(set));
  if (unknownSets.length > 0) {
    throw new KubeSimError({ code: 'BAD_INPUT', message: `unknown CRD set(s): ${unknownSets.join(', ')}`, nextSteps: [`Use: ${CUSTOM_RESOURCE_SETS.join(', ')}`] });
  }
  enableCustomResources(store, options.customResources ?? []);
  const logFile = join(stateDir, 'controllers.log');
  const log = (line: string): void => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  await PodNetwork.check();
  const scenario = options.scenario === undefined ? undefined : await loadScenario(store, options.scenario, log);
  const scenarioNamespace = scenario?.namespace;

  const kinds = builtinKinds(registry);
  const services = new ServiceProxy(store, kinds);
  const kubelet = new Kubelet({ store, kinds, network: new PodNetwork(), faults, services, podsDir: join(stateDir, 'pods') });
  const loop = new ControllerLoop(
    store,
    [
      new GarbageCollector(store, kinds),
      new StatefulSetController(store, kinds),
      new DeploymentController(store, kinds),
      new VolumeController(store, kinds, join(stateDir, 'volumes')),
      new VolumeSnapshotController(store, kinds, join(stateDir, 'snapshots')),
      services,
      new ExternalSecretController(store, kinds, ssmClientFromEnv, (error) => log(`external-secret-controller: ${(error as Error).stack ?? String(error)}`)),
      kubelet,
    ],
    logFile,
  );
  const server = createApiServer({
    store,
    registry,
    faults,
    token,
    userName: 'kube-sim-admin',
    cert: certs.serverCert,
    key: certs.serverKey,
    readLogs: (namespace, pod, container) => kubelet.readLogs(namespace, pod, container),
    adminRoute: faultsRoute(faults),
  });
  const exec = createExecHandler();
  const portForward = createPortForwardHandler();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (code: number, status: Record<string, unknown>): void => {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, ...status });
      socket.end(`HTTP/1.1 ${code} ${code === 401 ? 'Unauthorized' : code === 404 ? 'Not Found' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    if ((request.headers.authorization ?? '') !== `Bearer ${token}`) return reject(401, { reason: 'Unauthorized', message: 'Unauthorized' });
    const url = new URL(request.url ?? '/', 'https://localhost');
    const parsed = parseResourcePath(registry, url);
    if (parsed === undefined || !('resource' in parsed) || parsed.resource !== kinds.pod || parsed.name === undefined) {
      return reject(404, { reason: 'NotFound', message: 'the server could not find the requested resource' });
    }
    const namespace = parsed.namespace ?? 'default';
    const pod = store.tryGet(kinds.pod, namespace, parsed.name);
    if (pod === undefined) return reject(404, { reason: 'NotFound', message: `pods "${parsed.name}" not found`, details: { name: parsed.name, kind: 'pods' } });
    const verb = parsed.subresource === 'exec' ? 'create' : 'get';
    if (faults.isDenied({ verb, resource: `pods/${parsed.subresource ?? ''}`, namespace, name: parsed.name })) {
      return reject(403, { reason: 'Forbidden', message: `pods "${parsed.name}" is forbidden: User "kube-sim-admin" cannot ${verb} resource "pods/${parsed.subresource ?? ''}" in API group "" in the namespace "${namespace}"` });
    }
    if (parsed.subresource === 'exec') {
      const target = kubelet.execTarget(namespace, parsed.name, url.searchParams.get('container') ?? undefined);
      if (target === undefined) return reject(400, { reason: 'BadRequest', message: `pod ${parsed.name} does not have a host assigned` });
      exec.handle(request, socket, head, target, url.searchParams.getAll('command'), { stdin: url.searchParams.get('stdin') === 'true' });
      return;
    }
    if (parsed.subresource === 'portforward') {
      const podIP = kubelet.podIP(namespace, parsed.name);
      if (podIP === undefined) return reject(400, { reason: 'BadRequest', message: `pod ${parsed.name} does not have a host assigned` });
      portForward.handle(request, socket, head, podIP, url.searchParams.getAll('ports').map(Number));
      return;
    }
    return reject(400, { reason: 'BadRequest', message: 'Upgrade request required' });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error) =>
      reject(new KubeSimError({ code: 'START_FAILED', message: `cannot listen on 127.0.0.1:${options.port ?? 0}: ${error.message}`, nextSteps: ['Pick another --port or leave it out for a free one'], cause: error })),
    );
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => resolveListen());
  }).catch(async (error: unknown) => {
    await scenario?.release();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  loop.start();
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, { server: url, caCert: certs.caCert, token, namespace: options.namespace ?? scenarioNamespace ?? 'default' });
  const faultsUrl = `${url}${FAULTS_PATH}`;
  const ready: KubeSimReadyFile = { url, kubeconfigPath, faultsUrl, pid: process.pid };
  await writeFile(join(stateDir, READY_FILE), `${JSON.stringify(ready, null, 2)}\n`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await rm(join(stateDir, READY_FILE), { force: true });
      loop.stop();
      await kubelet.stopAll();
      await services.stop();
      await scenario?.release().catch((error: unknown) => log(`kube-sim: dropping the scenario's databases: ${(error as Error).message}`));
      faults.dropWatches();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    })();
    return stopping;
  };
  return { stateDir, kubeconfigPath, url, faultsUrl, token, caCert: certs.caCert, faults, store, registry, scenarioDatabases: scenario?.postgresDatabases ?? [], stop };
}

import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { KindsReconciler } from './controller-loop.ts';
import { record, records, type KubeObject } from './kube-object.ts';

const run = promisify(execFile);

/** The cluster domain pods resolve Service names under. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** A pod whose `/etc/hosts` kube-sim keeps: the host file bind-mounted there, and what the pod is called. */
export interface PodHostsEntry {
  file: string;
  namespace: string;
  podIP: string;
  hostname: string;
  subdomain: string | undefined;
}

interface Listener {
  readonly key: string;
  readonly server: Server;
  readonly sockets: Set<Socket>;
}

interface Target {
  host: string;
  port: number;
}

function isReady(pod: KubeObject): boolean {
  const conditions = records(record(pod['status'])['conditions']);
  return pod.metadata.deletionTimestamp === undefined && conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

function selectorMatches(selector: Record<string, unknown>, pod: KubeObject): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([key, value]) => labels[key] === String(value));
}

/**
 * Services for pods, as kube-proxy's userspace mode and cluster DNS give them: every Service of type ClusterIP
 * (or NodePort/LoadBalancer) gets a `spec.clusterIP` from a random 10.96–127.x.0/24, which kube-sim adds to the
 * host's loopback and listens on, port by port, forwarding each connection to a ready endpoint: a pod the
 * selector matches (at its `targetPort`, a number or a container port's name), or, for a Service without a
 * selector, an address of the Endpoints object of the same name. kube-sim has one node, whose address is
 * 127.0.0.1, so an Endpoints address of 127.0.0.1 reaches a server on the host's loopback (how a scenario points
 * at an "external" database; a real API server refuses loopback endpoints). Pods resolve
 * `<service>.<namespace>.svc.cluster.local`, `<service>.<namespace>.svc`, `<service>.<namespace>` and, in their own
 * namespace, `<service>` through the `/etc/hosts` kube-sim bind-mounts into each of them and rewrites in place as
 * Services come and go (headless Services name their ready pods' IPs; a StatefulSet pod with a `subdomain` is
 * `<pod>.<service>.<namespace>.svc.cluster.local`). Requires root (`ip addr add … dev lo`).
 *
 * @example
 * const proxy = new ServiceProxy(store, kinds);
 * new ControllerLoop(store, [proxy, kubelet], log).start();
 * await proxy.addPod({ file: '/tmp/sim/pods/x/hosts', namespace: 'matrix', podIP: '10.130.4.2', hostname: 'synapse-0', subdomain: undefined });
 */
export class ServiceProxy extends KindsReconciler {
  readonly name = 'service-proxy';
  readonly #prefix = `10.${randomInt(96, 128)}.${randomInt(0, 256)}`;
  #next = 1;
  readonly #addresses = new Set<string>();
  readonly #listeners = new Map<string, Listener>();
  readonly #pods = new Map<string, PodHostsEntry>();
  readonly #written = new Map<string, string>();
  #work: Promise<void> = Promise.resolve();
  #stopped = false;

  reconcile(): Promise<void> {
    this.#work = this.#work.then(() => this.#sync()).catch(() => undefined);
    return this.#work;
  }

  /** Starts keeping a pod's hosts file (writes it now). */
  async addPod(entry: PodHostsEntry): Promise<void> {
    this.#pods.set(entry.file, entry);
    await this.#writeHosts(entry);
  }

  /** Stops keeping a pod's hosts file. */
  removePod(file: string): void {
    this.#pods.delete(file);
    this.#written.delete(file);
  }

  /** Writes a hosts file for a pod not started yet (localhost only), to bind-mount at `/etc/hosts`. */
  static async writeInitialHosts(file: string, hostname: string): Promise<void> {
    await writeFile(file, `# Kubernetes-managed hosts file (kube-sim).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  }

  /** Closes every listener and removes the Service addresses from the loopback. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#work;
    for (const listener of this.#listeners.values()) this.#close(listener);
    this.#listeners.clear();
    await Promise.all([...this.#addresses].map((address) => run('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']).catch(() => undefined)));
    this.#addresses.clear();
  }

  #allocate(): string {
    const used = new Set(this.store.list(this.kinds.service, undefined).map((s) => String(record(s['spec'])['clusterIP'] ?? '')));
    for (let attempt = 0; attempt < 254; attempt += 1) {
      const candidate = `${this.#prefix}.${this.#next}`;
      this.#next = (this.#next % 254) + 1;
      if (!used.has(candidate)) return candidate;
    }
    throw new Error('no Service IPs left in the simulator range');
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const services = this.store.list(this.kinds.service, undefined);
    const wanted = new Set<string>();
    for (const service of services) {
      const spec = record(service['spec']);
      const type = String(spec['type'] ?? 'ClusterIP');
      if (type === 'ExternalName' || spec['clusterIP'] === 'None' || service.metadata.deletionTimestamp !== undefined) continue;
      let clusterIP = typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== '' ? spec['clusterIP'] : undefined;
      if (clusterIP === undefined) {
        const allocated = this.#allocate();
        clusterIP = allocated;
        this.store.mutate(this.kinds.service, service.metadata.namespace, service.metadata.name, (object) => {
          object['spec'] = { ...record(object['spec']), clusterIP: allocated, clusterIPs: [allocated] };
        });
      }
      if (!clusterIP.startsWith(`${this.#prefix}.`)) continue;
      if (!this.#addresses.has(clusterIP)) {
        await run('ip', ['addr', 'add', `${clusterIP}/32`, 'dev', 'lo']).catch((error: { stderr?: string }) => {
          if (!String(error.stderr ?? '').includes('File exists')) throw error;
        });
        this.#addresses.add(clusterIP);
      }
      for (const port of records(spec['ports'])) {
        if (String(port['protocol'] ?? 'TCP') !== 'TCP') continue;
        const key = `${service.metadata.namespace ?? ''}/${service.metadata.name}/${clusterIP}:${String(port['port'])}`;
        wanted.add(key);
        if (!this.#listeners.has(key)) await this.#listen(key, clusterIP, Number(port['port']), service.metadata.namespace ?? 'default', service.metadata.name, port);
      }
    }
    for (const [key, listener] of this.#listeners) {
      if (!wanted.has(key)) {
        this.#close(listener);
        this.#listeners.delete(key);
      }
    }
    for (const entry of this.#pods.values()) await this.#writeHosts(entry);
  }

  async #listen(key: string, address: string, port: number, namespace: string, name: string, servicePort: Record<string, unknown>): Promise<void> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      const target = this.#target(namespace, name, servicePort);
      if (target === undefined) {
        client.destroy();
        return;
      }
      const upstream = connect(target.port, target.host);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port }, () => resolve());
    });
    this.#listeners.set(key, { key, server, sockets });
  }

  #close(listener: Listener): void {
    listener.server.close();
    for (const socket of listener.sockets) socket.destroy();
  }

  /** Where a new connection to a Service port goes now: a ready pod, or an Endpoints address. */
  #target(namespace: string, name: string, servicePort: Record<string, unknown>): Target | undefined {
    const service = this.store.tryGet(this.kinds.service, namespace, name);
    if (service === undefined) return undefined;
    const selector = record(record(service['spec'])['selector']);
    const targetPort = servicePort['targetPort'] ?? servicePort['port'];
    if (Object.keys(selector).length > 0) {
      const pods = this.store.list(this.kinds.pod, namespace).filter((pod) => selectorMatches(selector, pod) && isReady(pod) && record(pod['status'])['podIP'] !== undefined);
      if (pods.length === 0) return undefined;
      const pod = pods[randomInt(0, pods.length)] as KubeObject;
      const port = typeof targetPort === 'number' || /^\d+$/.test(String(targetPort))
        ? Number(targetPort)
        : Number(records(record(pod['spec'])['containers']).flatMap((c) => records(c['ports'])).find((p) => p['name'] === targetPort)?.['containerPort']);
      return Number.isFinite(port) ? { host: String(record(pod['status'])['podIP']), port } : undefined;
    }
    const endpoints = this.store.tryGet(this.kinds.endpoints, namespace, name);
    for (const subset of records(endpoints?.['subsets'])) {
      const addresses = records(subset['addresses']);
      const ports = records(subset['ports']);
      const port = ports.length === 1 ? ports[0] : ports.find((p) => p['name'] === servicePort['name']);
      const address = addresses[0];
      if (address !== undefined && port !== undefined) return { host: String(address['ip']), port: Number(port['port']) };
    }
    return undefined;
  }

  #hostsText(entry: PodHostsEntry): string {
    const own = entry.subdomain === undefined ? [entry.hostname] : [`${entry.hostname}.${entry.subdomain}.${entry.namespace}.svc.${CLUSTER_DOMAIN}`, entry.hostname];
    const lines = [
      '# Kubernetes-managed hosts file (kube-sim).',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      `${entry.podIP}\t${own.join(' ')}`,
    ];
    const names = (service: KubeObject): string[] => {
      const ns = service.metadata.namespace ?? 'default';
      const base = [`${service.metadata.name}.${ns}.svc.${CLUSTER_DOMAIN}`, `${service.metadata.name}.${ns}.svc`, `${service.metadata.name}.${ns}`];
      return ns === entry.namespace ? [...base, service.metadata.name] : base;
    };
    for (const service of this.store.list(this.kinds.service, undefined)) {
      const spec = record(service['spec']);
      const ns = service.metadata.namespace ?? 'default';
      if (spec['clusterIP'] === 'None') {
        const selector = record(spec['selector']);
        const pods = this.store.list(this.kinds.pod, ns).filter((pod) => Object.keys(selector).length > 0 && selectorMatches(selector, pod) && isReady(pod));
        for (const pod of pods) {
          const podIP = String(record(pod['status'])['podIP'] ?? '');
          if (podIP === '') continue;
          const podSpec = record(pod['spec']);
          const perPod = podSpec['subdomain'] === service.metadata.name ? [`${String(podSpec['hostname'] ?? pod.metadata.name)}.${service.metadata.name}.${ns}.svc.${CLUSTER_DOMAIN}`] : [];
          lines.push(`${podIP}\t${[...perPod, ...names(service)].join(' ')}`);
        }
        continue;
      }
      const clusterIP = spec['clusterIP'];
      if (typeof clusterIP === 'string' && this.#addresses.has(clusterIP)) lines.push(`${clusterIP}\t${names(service).join(' ')}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async #writeHosts(entry: PodHostsEntry): Promise<void> {
    const text = this.#hostsText(entry);
    if (this.#written.get(entry.file) === text) return;
    // Rewritten in place (same inode), so the bind mount at the pod's /etc/hosts sees the new content.
    await writeFile(entry.file, text);
    this.#written.set(entry.file, text);
  }
}

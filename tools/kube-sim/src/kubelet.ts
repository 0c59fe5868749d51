import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnSupervised, type SupervisedProcess } from '@matrix-reset/sandbox';
import type { Reconciler } from './controller-loop.ts';
import { planContainer, type ContainerPlan } from './container-runners.ts';
import type { FaultInjector } from './fault-injection.ts';
import type { Kinds } from './kinds.ts';
import { record, records, timestamp, type KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import type { PodNetwork, PodSandbox, VolumeBind } from './pod-network.ts';
import { withCondition } from './pod-state.ts';
import { ServiceProxy } from './service-proxy.ts';

export const NODE_NAME = 'kube-sim-node';

interface ContainerRuntime {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly plan: ContainerPlan;
  readonly logFile: string;
  process: SupervisedProcess | undefined;
  ready: boolean;
  restartCount: number;
  startedAt: string | undefined;
  state: 'running' | 'waiting' | 'terminated';
  waitingReason: string | undefined;
  lastExit: { exitCode: number; reason: string; finishedAt: string } | undefined;
  containerID: string;
}

interface PodRuntime {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly sandbox: PodSandbox;
  readonly dir: string;
  /** The host file bind-mounted at the pod's `/etc/hosts` (kept by the {@link ServiceProxy}), if any. */
  readonly hostsFile: string | undefined;
  readonly containers: ContainerRuntime[];
  readonly startTime: string;
  stopping: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Where an exec session runs: the pod's namespaces (via its pause process) and the container's environment. */
export interface ExecTarget {
  pid: number;
  env: Record<string, string>;
  cwd: string;
}

export interface KubeletOptions {
  store: ObjectStore;
  kinds: Kinds;
  network: PodNetwork;
  faults: FaultInjector;
  /** Keeps each pod's `/etc/hosts` naming the Services. */
  services: ServiceProxy;
  /** Per-pod directories (logs, emptyDirs, projected Secrets) go under here. */
  podsDir: string;
}

class ConfigError extends Error {}

/**
 * The node agent: runs each scheduled pod as real processes in its own network and mount namespaces (volumes
 * bind-mounted at their mountPaths), resolves env from Secrets/ConfigMaps at container start, runs readiness
 * probes (httpGet), restarts crashed containers per restartPolicy, reports status (phase, podIP, conditions,
 * containerStatuses), and terminates pods gracefully (SIGTERM, grace period, SIGKILL) before removing them.
 *
 * @example
 * const kubelet = new Kubelet({ store, kinds, network, faults, services: new ServiceProxy(store, kinds), podsDir: '/tmp/sim/pods' });
 * new ControllerLoop(store, [kubelet], log).start();
 */
export class Kubelet implements Reconciler {
  readonly name = 'kubelet';
  readonly #options: KubeletOptions;
  readonly #runtimes = new Map<string, PodRuntime>();
  readonly #busy = new Set<string>();
  #stopped = false;

  constructor(options: KubeletOptions) {
    this.#options = options;
  }

  reconcile(): void {
    if (this.#stopped) return;
    const { store, kinds } = this.#options;
    const pods = store.list(kinds.pod, undefined);
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      if (this.#busy.has(uid)) continue;
      const runtime = this.#runtimes.get(uid);
      if (pod.metadata.deletionTimestamp !== undefined) {
        if (runtime !== undefined && !runtime.stopping) this.#track(uid, this.#terminate(pod, runtime));
        else if (runtime === undefined && (pod.metadata.finalizers ?? []).length === 0) store.remove(kinds.pod, pod.metadata.namespace, pod.metadata.name);
        continue;
      }
      if (runtime === undefined && record(pod['status'])['phase'] === 'Pending') this.#track(uid, this.#start(pod));
    }
    for (const [uid, runtime] of this.#runtimes) {
      if (!seen.has(uid) && !runtime.stopping) this.#track(uid, this.#teardown(runtime));
    }
  }

  #track(uid: string, work: Promise<void>): void {
    this.#busy.add(uid);
    work.catch(() => undefined).finally(() => this.#busy.delete(uid));
  }

  /** The pod's IP, if it runs here. */
  podIP(namespace: string, name: string): string | undefined {
    return this.#find(namespace, name)?.sandbox.podIP;
  }

  /** Where `kubectl exec` into this pod's container runs. */
  execTarget(namespace: string, name: string, container: string | undefined): ExecTarget | undefined {
    const runtime = this.#find(namespace, name);
    if (runtime === undefined) return undefined;
    const target = container === undefined || container === '' ? runtime.containers[0] : runtime.containers.find((c) => c.name === container);
    if (target === undefined) return undefined;
    return { pid: runtime.sandbox.pid, env: target.plan.env, cwd: target.plan.cwd };
  }

  /** A container's log (stdout and stderr). */
  async readLogs(namespace: string, name: string, container: string | undefined): Promise<string> {
    const runtime = this.#find(namespace, name);
    const target = runtime?.containers.find((c) => container === undefined || c.name === container);
    return target === undefined ? '' : readFile(target.logFile, 'utf8').catch(() => '');
  }

  /** Stops every pod's processes (simulator shutdown). */
  async stopAll(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#runtimes.values()].map((runtime) => this.#teardown(runtime)));
  }

  #find(namespace: string, name: string): PodRuntime | undefined {
    return [...this.#runtimes.values()].find((r) => r.namespace === namespace && r.name === name && !r.stopping);
  }

  #setPodStatus(pod: KubeObject, change: (status: Record<string, unknown>) => void): void {
    this.#options.store.mutate(this.#options.kinds.pod, pod.metadata.namespace, pod.metadata.name, (object) => {
      if (object.metadata.uid !== pod.metadata.uid) return;
      const status = { ...record(object['status']) };
      change(status);
      object['status'] = status;
    }, { subresource: 'status' });
  }

  /** The host directory behind each of the pod's volumes; a message when one is not usable yet. */
  async #volumes(pod: KubeObject, dir: string): Promise<Map<string, string> | string> {
    const { store, kinds } = this.#options;
    const namespace = pod.metadata.namespace;
    const result = new Map<string, string>();
    for (const volume of records(record(pod['spec'])['volumes'])) {
      const name = String(volume['name']);
      const claim = record(volume['persistentVolumeClaim']);
      if (claim['claimName'] !== undefined) {
        const claimName = String(claim['claimName']);
        const pvc = store.tryGet(kinds.pvc, namespace, claimName);
        if (pvc === undefined) return `persistentvolumeclaim "${claimName}" not found`;
        if (pvc.metadata.deletionTimestamp !== undefined) return `persistentvolumeclaim "${claimName}" is being deleted`;
        const volumeName = record(pvc['spec'])['volumeName'];
        const pv = volumeName === undefined ? undefined : store.tryGet(kinds.pv, undefined, String(volumeName));
        if (pv === undefined) return 'pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available';
        result.set(name, String(record(record(pv['spec'])['hostPath'])['path']));
        continue;
      }
      const local = join(dir, 'volumes', name);
      await mkdir(local, { recursive: true });
      const spec = record(volume['secret'] ?? volume['configMap']);
      const source = volume['secret'] !== undefined ? { kind: kinds.secret, name: String(spec['secretName']), optional: spec['optional'] === true }
        : volume['configMap'] !== undefined ? { kind: kinds.configMap, name: String(spec['name']), optional: spec['optional'] === true }
        : undefined;
      // Kubernetes' default for both: 0644 (defaultMode 420), so a container's non-root user can read them.
      const mode = typeof spec['defaultMode'] === 'number' ? spec['defaultMode'] : 0o644;
      if (source !== undefined) {
        const object = store.tryGet(source.kind, namespace, source.name);
        if (object === undefined && !source.optional) return `${source.kind === kinds.secret ? 'secret' : 'configmap'} "${source.name}" not found`;
        const data = record(object?.['data']);
        for (const [key, value] of Object.entries(data)) {
          const file = join(local, key);
          await writeFile(file, source.kind === kinds.secret ? Buffer.from(String(value), 'base64') : String(value), { mode });
          await chmod(file, mode);
        }
      }
      result.set(name, local);
    }
    return result;
  }

  #resolveEnv(pod: KubeObject, container: Record<string, unknown>, podIP: string): Record<string, string> {
    const { store, kinds } = this.#options;
    const namespace = pod.metadata.namespace;
    const env: Record<string, string> = {};
    const lookup = (kind: 'secret' | 'configmap', name: string, key: string | undefined, optional: boolean): Record<string, string> | string | undefined => {
      const object = store.tryGet(kind === 'secret' ? kinds.secret : kinds.configMap, namespace, name);
      if (object === undefined) {
        if (optional) return undefined;
        throw new ConfigError(`${kind} "${name}" not found`);
      }
      const raw = record(object['data']) as Record<string, string>;
      const data = kind === 'secret' ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : raw;
      if (key === undefined) return data;
      if (!(key in data)) {
        if (optional) return undefined;
        throw new ConfigError(`couldn't find key ${key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace ?? ''}/${name}`);
      }
      return data[key];
    };
    for (const source of records(container['envFrom'])) {
      const prefix = String(source['prefix'] ?? '');
      const secretRef = record(source['secretRef']);
      const configMapRef = record(source['configMapRef']);
      const found = secretRef['name'] !== undefined ? lookup('secret', String(secretRef['name']), undefined, secretRef['optional'] === true)
        : configMapRef['name'] !== undefined ? lookup('configmap', String(configMapRef['name']), undefined, configMapRef['optional'] === true)
        : undefined;
      if (typeof found === 'object') for (const [key, value] of Object.entries(found)) env[`${prefix}${key}`] = value;
    }
    for (const variable of records(container['env'])) {
      const name = String(variable['name']);
      if (variable['value'] !== undefined) {
        env[name] = String(variable['value']).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, ref: string) => env[ref] ?? whole);
        continue;
      }
      const from = record(variable['valueFrom']);
      const secretKey = record(from['secretKeyRef']);
      const configKey = record(from['configMapKeyRef']);
      const field = record(from['fieldRef']);
      let value: Record<string, string> | string | undefined;
      if (secretKey['name'] !== undefined) value = lookup('secret', String(secretKey['name']), String(secretKey['key']), secretKey['optional'] === true);
      else if (configKey['name'] !== undefined) value = lookup('configmap', String(configKey['name']), String(configKey['key']), configKey['optional'] === true);
      else if (field['fieldPath'] !== undefined) {
        const path = String(field['fieldPath']);
        value = path === 'metadata.name' ? pod.metadata.name : path === 'metadata.namespace' ? (namespace ?? '') : path === 'status.podIP' ? podIP : path === 'spec.nodeName' ? NODE_NAME : '';
      }
      if (typeof value === 'string') env[name] = value;
    }
    env['HOSTNAME'] ??= pod.metadata.name;
    return env;
  }

  async #start(pod: KubeObject): Promise<void> {
    const { store, kinds, network } = this.#options;
    const namespace = pod.metadata.namespace ?? 'default';
    const dir = join(this.#options.podsDir, `${namespace}_${pod.metadata.name}_${pod.metadata.uid ?? ''}`);
    await mkdir(dir, { recursive: true });
    const volumes = await this.#volumes(pod, dir);
    if (typeof volumes === 'string') {
      this.#setPodStatus(pod, (status) => {
        status['conditions'] = withCondition(status['conditions'], { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/1 nodes are available: ${volumes}.` });
      });
      return;
    }
    if (record(pod['spec'])['nodeName'] === undefined) {
      store.mutate(kinds.pod, namespace, pod.metadata.name, (object) => {
        object['spec'] = { ...record(object['spec']), nodeName: NODE_NAME };
      });
    }
    const containers = records(record(pod['spec'])['containers']);
    const binds = new Map<string, string>();
    for (const container of containers) {
      for (const mount of records(container['volumeMounts'])) {
        const source = volumes.get(String(mount['name']));
        if (source !== undefined) binds.set(String(mount['mountPath']), mount['subPath'] === undefined ? source : join(source, String(mount['subPath'])));
      }
    }
    for (const source of binds.values()) if (!existsSync(source)) await mkdir(source, { recursive: true });
    const podSpec = record(pod['spec']);
    const hostname = String(podSpec['hostname'] ?? pod.metadata.name);
    let hostsFile: string | undefined;
    if (!binds.has('/etc/hosts')) {
      hostsFile = join(dir, 'hosts');
      await ServiceProxy.writeInitialHosts(hostsFile, hostname);
      binds.set('/etc/hosts', hostsFile);
    }
    try {
      for (const container of containers) this.#resolveEnv(pod, container, '');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#setPodStatus(pod, (status) => {
        status['containerStatuses'] = containers.map((c) => ({ name: String(c['name']), image: String(c['image']), imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'CreateContainerConfigError', message: error.message } } }));
      });
      return;
    }
    const volumeBinds: VolumeBind[] = [...binds].map(([target, source]) => ({ source, target }));
    const sandbox = await network.createSandbox({ name: `${namespace}/${pod.metadata.name}`, logFile: join(dir, 'pause.log'), volumes: volumeBinds });
    const runtime: PodRuntime = {
      uid: pod.metadata.uid ?? '',
      namespace,
      name: pod.metadata.name,
      sandbox,
      dir,
      hostsFile,
      containers: [],
      startTime: timestamp(),
      stopping: false,
      timer: undefined,
    };
    this.#runtimes.set(runtime.uid, runtime);
    try {
      if (hostsFile !== undefined) {
        await this.#options.services.addPod({ file: hostsFile, namespace, podIP: sandbox.podIP, hostname, subdomain: podSpec['subdomain'] === undefined ? undefined : String(podSpec['subdomain']) });
      }
      for (const container of containers) {
        const name = String(container['name']);
        let plan: ContainerPlan;
        try {
          const env = this.#resolveEnv(pod, container, sandbox.podIP);
          plan = await planContainer({ container, env, hostPathFor: (path) => binds.get(path) });
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          await this.#teardown(runtime);
          this.#setPodStatus(pod, (status) => {
            status['containerStatuses'] = containers.map((c) => ({ name: String(c['name']), image: String(c['image']), imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'CreateContainerConfigError', message: error.message } } }));
          });
          return;
        }
        runtime.containers.push({
          name,
          spec: container,
          plan,
          logFile: join(dir, `${name}.log`),
          process: undefined,
          ready: false,
          restartCount: 0,
          startedAt: undefined,
          state: 'waiting',
          waitingReason: 'ContainerCreating',
          lastExit: undefined,
          containerID: '',
        });
      }
      for (const container of runtime.containers) this.#run(runtime, container);
      this.#writeStatus(runtime);
      runtime.timer = setInterval(() => void this.#probe(runtime), 500);
    } catch (error) {
      await this.#teardown(runtime);
      throw error;
    }
  }

  #run(runtime: PodRuntime, container: ContainerRuntime): void {
    const grace = Number(record(this.#options.store.tryGet(this.#options.kinds.pod, runtime.namespace, runtime.name)?.['spec'])['terminationGracePeriodSeconds'] ?? 30);
    const child = spawnSupervised({
      name: `${runtime.namespace}/${runtime.name}/${container.name}`,
      command: 'nsenter',
      args: ['-t', String(runtime.sandbox.pid), '-n', '-m', '--', container.plan.command, ...container.plan.args],
      env: container.plan.env,
      cwd: '/',
      logFile: container.logFile,
      stopGraceMs: Math.max(0, grace * 1000),
      ...(container.plan.stopSignal === undefined ? {} : { stopSignal: container.plan.stopSignal }),
    });
    container.process = child;
    container.state = 'running';
    container.waitingReason = undefined;
    container.ready = false;
    container.startedAt = timestamp();
    container.containerID = `kube-sim://${child.pid}`;
    void child.exited.then((exit) => {
      if (runtime.stopping || container.process !== child) return;
      const exitCode = exit.code ?? 128 + 9;
      container.lastExit = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: timestamp() };
      container.ready = false;
      const policy = String(record(this.#options.store.tryGet(this.#options.kinds.pod, runtime.namespace, runtime.name)?.['spec'])['restartPolicy'] ?? 'Always');
      if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
        container.state = 'waiting';
        container.waitingReason = 'CrashLoopBackOff';
        this.#writeStatus(runtime);
        const backoff = Math.min(10_000, 1_000 * 2 ** container.restartCount);
        setTimeout(() => {
          if (runtime.stopping) return;
          container.restartCount += 1;
          this.#run(runtime, container);
          this.#writeStatus(runtime);
        }, backoff);
      } else {
        container.state = 'terminated';
        this.#writeStatus(runtime);
      }
    });
  }

  async #probe(runtime: PodRuntime): Promise<void> {
    if (runtime.stopping) return;
    let changed = false;
    for (const container of runtime.containers) {
      if (container.state !== 'running') continue;
      const probe = record(container.spec['readinessProbe']);
      let ready = true;
      const httpGet = record(probe['httpGet']);
      const initialDelay = Number(probe['initialDelaySeconds'] ?? 0) * 1000;
      if (container.startedAt !== undefined && Date.now() - Date.parse(container.startedAt) < initialDelay) ready = false;
      else if (httpGet['port'] !== undefined) {
        const portValue = httpGet['port'];
        const port = typeof portValue === 'number' ? portValue : Number(records(container.spec['ports']).find((p) => p['name'] === portValue)?.['containerPort'] ?? portValue);
        const scheme = String(httpGet['scheme'] ?? 'HTTP').toLowerCase();
        try {
          const response = await fetch(`${scheme}://${runtime.sandbox.podIP}:${port}${String(httpGet['path'] ?? '/')}`, { signal: AbortSignal.timeout(Number(probe['timeoutSeconds'] ?? 1) * 1000) });
          await response.arrayBuffer();
          ready = response.status >= 200 && response.status < 400;
        } catch {
          ready = false;
        }
      } else if (record(probe['tcpSocket'])['port'] !== undefined) {
        const portValue = record(probe['tcpSocket'])['port'];
        const port = typeof portValue === 'number' ? portValue : Number(records(container.spec['ports']).find((p) => p['name'] === portValue)?.['containerPort'] ?? portValue);
        ready = await tcpAnswers(runtime.sandbox.podIP, port, Number(probe['timeoutSeconds'] ?? 1) * 1000);
      } else if (Array.isArray(record(probe['exec'])['command'])) {
        const command = (record(probe['exec'])['command'] as unknown[]).map(String);
        ready = await execSucceeds(runtime.sandbox.pid, command, container.plan, Number(probe['timeoutSeconds'] ?? 1) * 1000);
      }
      if (ready !== container.ready) {
        container.ready = ready;
        changed = true;
      }
    }
    if (changed && !runtime.stopping) this.#writeStatus(runtime);
  }

  #writeStatus(runtime: PodRuntime): void {
    const pod = this.#options.store.tryGet(this.#options.kinds.pod, runtime.namespace, runtime.name);
    if (pod === undefined || pod.metadata.uid !== runtime.uid) return;
    const containers = runtime.containers;
    const allReady = containers.length > 0 && containers.every((c) => c.ready);
    const terminated = containers.length > 0 && containers.every((c) => c.state === 'terminated');
    const phase = terminated ? (containers.every((c) => c.lastExit?.exitCode === 0) ? 'Succeeded' : 'Failed') : 'Running';
    this.#setPodStatus(pod, (status) => {
      let conditions = withCondition(status['conditions'], { type: 'PodReadyToStartContainers', status: 'True' });
      conditions = withCondition(conditions, { type: 'Initialized', status: 'True' });
      conditions = withCondition(conditions, allReady ? { type: 'Ready', status: 'True' } : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${containers.filter((c) => !c.ready).map((c) => c.name).join(' ')}]` });
      conditions = withCondition(conditions, allReady ? { type: 'ContainersReady', status: 'True' } : { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${containers.filter((c) => !c.ready).map((c) => c.name).join(' ')}]` });
      conditions = withCondition(conditions, { type: 'PodScheduled', status: 'True' });
      Object.assign(status, {
        phase,
        conditions,
        hostIP: '127.0.0.1',
        hostIPs: [{ ip: '127.0.0.1' }],
        podIP: runtime.sandbox.podIP,
        podIPs: [{ ip: runtime.sandbox.podIP }],
        startTime: status['startTime'] ?? runtime.startTime,
        qosClass: 'BestEffort',
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: String(c.spec['image'] ?? ''),
          imageID: `kube-sim/${c.plan.runner}`,
          containerID: c.containerID,
          ready: c.ready,
          started: c.state === 'running',
          restartCount: c.restartCount,
          state:
            c.state === 'running' ? { running: { startedAt: c.startedAt } }
            : c.state === 'terminated' ? { terminated: { exitCode: c.lastExit?.exitCode ?? 0, reason: c.lastExit?.reason ?? 'Completed', startedAt: c.startedAt, finishedAt: c.lastExit?.finishedAt } }
            : { waiting: { reason: c.waitingReason ?? 'ContainerCreating' } },
          ...(c.lastExit !== undefined && c.state !== 'terminated' ? { lastState: { terminated: { exitCode: c.lastExit.exitCode, reason: c.lastExit.reason, finishedAt: c.lastExit.finishedAt } } } : {}),
        })),
      });
    });
  }

  async #terminate(pod: KubeObject, runtime: PodRuntime): Promise<void> {
    runtime.stopping = true;
    if (runtime.timer) clearInterval(runtime.timer);
    const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? record(pod['spec'])['terminationGracePeriodSeconds'] ?? 30);
    const delay = this.#options.faults.terminationDelayMs(runtime.namespace, runtime.name);
    const stops = Promise.all(runtime.containers.map((c) => c.process?.stop()));
    // Unreferenced: a pod that stops at once must not hold the process for the rest of its grace period.
    await Promise.race([stops, sleep(grace * 1000, undefined, { ref: false })]);
    for (const container of runtime.containers) {
      if (container.process !== undefined && container.process.exit === undefined) {
        try {
          process.kill(-container.process.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await stops;
    if (delay > 0) await sleep(delay);
    await runtime.sandbox.stop();
    if (runtime.hostsFile !== undefined) this.#options.services.removePod(runtime.hostsFile);
    this.#runtimes.delete(runtime.uid);
    const { store, kinds } = this.#options;
    const current = store.tryGet(kinds.pod, runtime.namespace, runtime.name);
    if (current !== undefined && current.metadata.uid === runtime.uid) {
      if ((current.metadata.finalizers ?? []).length === 0) store.remove(kinds.pod, runtime.namespace, runtime.name);
      else this.#setPodStatus(current, (status) => { status['phase'] = 'Succeeded'; });
    }
  }

  async #teardown(runtime: PodRuntime): Promise<void> {
    runtime.stopping = true;
    if (runtime.timer) clearInterval(runtime.timer);
    await Promise.all(runtime.containers.map((c) => c.process?.stop()));
    await runtime.sandbox.stop();
    if (runtime.hostsFile !== undefined) this.#options.services.removePod(runtime.hostsFile);
    this.#runtimes.delete(runtime.uid);
  }
}

/** A tcpSocket probe: the port accepts a connection. */
function tcpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** An exec probe: the command exits 0 inside the pod, with the container's environment. */
function execSucceeds(pid: number, command: string[], plan: ContainerPlan, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('nsenter', ['-t', String(pid), '-n', '-m', '--', ...command], { env: plan.env, cwd: '/', timeout: Math.max(timeoutMs, 1_000) }, (error) => resolve(error === null));
  });
}

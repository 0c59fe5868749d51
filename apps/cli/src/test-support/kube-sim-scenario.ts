import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

const KUBE_SIM_CLI = fileURLToPath(new URL('../../../../tools/kube-sim/src/cli.ts', import.meta.url));

/** A kube-sim process of one test file running a scenario (its own API server, pods, Services and volumes). */
export interface ScenarioCluster {
  readonly kubeconfig: string;
  /** The kubeconfig's context. */
  readonly context: string;
  /** Runs kubectl on this cluster; `input` goes to its stdin (so no secret is an argument). */
  kubectl(args: readonly string[], options?: { input?: string }): Promise<string>;
  /** A Service's ClusterIP: the host reaches the Service there. */
  clusterIp(namespace: string, service: string): Promise<string>;
  /** The decoded keys of a Secret. */
  secret(namespace: string, name: string): Promise<Record<string, string>>;
  /** Stops kube-sim (every pod with it) and removes its state directory. */
  stop(): Promise<void>;
}

async function readyFile(stateDir: string, child: ChildProcess, log: string, timeoutMs: number): Promise<{ kubeconfigPath: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`kube-sim exited ${child.exitCode}:\n${await readFile(log, 'utf8').catch(() => '')}`);
    const text = await readFile(join(stateDir, 'kube-sim.json'), 'utf8').catch(() => '');
    // Read while kube-sim writes it: try again.
    const ready = (() => {
      try {
        return JSON.parse(text) as { kubeconfigPath?: string };
      } catch {
        return undefined;
      }
    })();
    if (ready?.kubeconfigPath !== undefined) return { kubeconfigPath: ready.kubeconfigPath };
    await sleep(200);
  }
  throw new Error(`kube-sim wrote no kube-sim.json within ${timeoutMs} ms:\n${await readFile(log, 'utf8').catch(() => '')}`);
}

/**
 * Starts `kube-sim start --scenario <scenario> --crds all` as a child process with this process's environment (the
 * sandbox's SSM and Postgres variables for the scenario's seeds) and waits for its API.
 */
export async function startScenarioCluster(scenario: string, options: { timeoutMs?: number } = {}): Promise<ScenarioCluster> {
  const base = await mkdtemp(join(tmpdir(), `kube-sim-${scenario}-`));
  const stateDir = join(base, 'state');
  const log = join(base, 'kube-sim.log');
  const logFile = await open(log, 'w');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_ENV'));
  const child = spawn(process.execPath, ['--conditions=@matrix-reset/source', KUBE_SIM_CLI, 'start', '--scenario', scenario, '--state-dir', stateDir, '--crds', 'all'], {
    env,
    stdio: ['ignore', logFile.fd, logFile.fd],
  });
  await logFile.close();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { kubeconfigPath } = await readyFile(stateDir, child, log, options.timeoutMs ?? 60_000);
  const kubectl = async (args: readonly string[], opts: { input?: string } = {}) => {
    const run = exec('kubectl', ['--kubeconfig', kubeconfigPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
    if (opts.input !== undefined) run.child.stdin?.end(opts.input);
    return (await run).stdout;
  };
  const context = (await kubectl(['config', 'current-context'])).trim();
  return {
    kubeconfig: kubeconfigPath,
    context,
    kubectl,
    clusterIp: async (namespace, service) => (await kubectl(['get', 'service', service, '-n', namespace, '-o', 'jsonpath={.spec.clusterIP}'])).trim(),
    async secret(namespace, name) {
      const secret = JSON.parse(await kubectl(['get', 'secret', name, '-n', namespace, '-o', 'json'])) as { data?: Record<string, string> };
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(90_000)]);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

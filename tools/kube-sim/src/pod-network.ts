import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { spawnSupervised, type SupervisedProcess } from '@matrix-reset/sandbox';
import { KubeSimError } from './kube-sim-error.ts';

const run = promisify(execFile);

/** A pod's sandbox: the "pause" process that holds its network and mount namespaces, and its IP. */
export interface PodSandbox {
  readonly podIP: string;
  /** The pause process; containers and exec sessions enter its namespaces with `nsenter -t PID -n -m`. */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface VolumeBind {
  /** Host directory (the PV's or an emptyDir's). */
  source: string;
  /** Path inside the pod (`/data`). */
  target: string;
}

/**
 * Mount setup inside the new mount namespace (propagation private, so nothing leaks to the host): each volume is
 * bind-mounted at its mountPath (a file, such as the pod's hosts file, over a file), then the process becomes `sleep infinity`, like a pod's pause container.
 */
const PAUSE_SCRIPT =
  'while [ $# -gt 1 ]; do if [ -d "$1" ]; then mkdir -p "$2"; elif [ ! -e "$2" ]; then mkdir -p "$(dirname "$2")" && : > "$2"; fi; mount --bind "$1" "$2" || exit 1; shift 2; done; exec sleep infinity';

async function ip(args: string[]): Promise<void> {
  await run('ip', args);
}

/**
 * Pod networking: every pod gets its own network namespace, a veth pair to the host and an address in a
 * random 10.x.y.0/24 (so concurrent simulators do not collide); the host routes the pod IP to the veth. Inside
 * the pod, `localhost` is the pod's own loopback, as in a real cluster. Requires root (unshare, ip).
 *
 * @example
 * const network = new PodNetwork();
 * const sandbox = await network.createSandbox({ name: 'matrix-0', logFile, volumes: [{ source: dir, target: '/data' }] });
 * await fetch(`http://${sandbox.podIP}:8008/health`);
 */
export class PodNetwork {
  readonly #prefix: string;
  readonly #gateway: string;
  #next = 2;
  readonly #free: number[] = [];

  constructor() {
    this.#prefix = `10.${randomInt(128, 250)}.${randomInt(0, 256)}`;
    this.#gateway = `${this.#prefix}.1`;
  }

  /** Throws a {@link KubeSimError} when pods cannot get namespaces here (not root, no unshare/ip). */
  static async check(): Promise<void> {
    if (process.getuid?.() !== 0) {
      throw new KubeSimError({
        code: 'NOT_ROOT',
        message: 'kube-sim runs pods in their own network and mount namespaces, which needs root',
        nextSteps: ['Run kube-sim as root (the dev container and CI run as root)'],
      });
    }
    try {
      await run('unshare', ['--net', '--mount', '--propagation', 'private', 'true']);
      await run('ip', ['-V']);
    } catch (error) {
      throw new KubeSimError({
        code: 'POD_NETWORK_FAILED',
        message: `cannot create pod namespaces: ${(error as Error).message}`,
        nextSteps: ['Install util-linux (unshare, nsenter) and iproute2 (ip)', 'Run where creating namespaces is allowed (CAP_SYS_ADMIN, CAP_NET_ADMIN)'],
        cause: error,
      });
    }
  }

  #allocate(): string {
    const host = this.#free.shift() ?? this.#next++;
    if (host > 254) throw new KubeSimError({ code: 'POD_NETWORK_FAILED', message: 'no pod IPs left in the simulator subnet', nextSteps: ['Delete pods you no longer need'] });
    return `${this.#prefix}.${host}`;
  }

  /** Starts the pause process with the volumes mounted and wires up its network. */
  async createSandbox(options: { name: string; logFile: string; volumes: readonly VolumeBind[] }): Promise<PodSandbox> {
    const podIP = this.#allocate();
    const release = (): void => {
      this.#free.push(Number(podIP.split('.')[3]));
    };
    const pause = spawnSupervised({
      name: `pause-${options.name}`,
      command: 'unshare',
      args: ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', PAUSE_SCRIPT, 'pause', ...options.volumes.flatMap((v) => [v.source, v.target])],
      logFile: options.logFile,
      stopGraceMs: 1_000,
    });
    const hostVeth = `ks${randomBytes(4).toString('hex')}`;
    try {
      await waitForPause(pause);
      const podVeth = `${hostVeth}p`;
      await ip(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', podVeth, 'netns', String(pause.pid)]);
      await ip(['addr', 'add', `${this.#gateway}/32`, 'dev', hostVeth]);
      await ip(['link', 'set', hostVeth, 'up']);
      await ip(['route', 'add', `${podIP}/32`, 'dev', hostVeth, 'src', this.#gateway]);
      const inPod = (args: string[]): Promise<unknown> => run('nsenter', ['-t', String(pause.pid), '-n', 'ip', ...args]);
      await inPod(['link', 'set', 'lo', 'up']);
      await inPod(['link', 'set', podVeth, 'name', 'eth0']);
      await inPod(['addr', 'add', `${podIP}/32`, 'dev', 'eth0']);
      await inPod(['link', 'set', 'eth0', 'up']);
      await inPod(['route', 'add', this.#gateway, 'dev', 'eth0']);
      await inPod(['route', 'add', 'default', 'via', this.#gateway]);
    } catch (error) {
      await pause.stop();
      await run('ip', ['link', 'del', hostVeth]).catch(() => undefined);
      release();
      throw new KubeSimError({
        code: 'POD_NETWORK_FAILED',
        message: `cannot set up the sandbox of pod ${options.name}: ${(error as Error).message}`,
        nextSteps: [`Read ${options.logFile}`],
        cause: error,
      });
    }
    let stopping: Promise<void> | undefined;
    return {
      podIP,
      pid: pause.pid,
      stop: () => {
        stopping ??= (async () => {
          await pause.stop();
          await run('ip', ['link', 'del', hostVeth]).catch(() => undefined);
          release();
        })();
        return stopping;
      },
    };
  }
}

async function waitForPause(pause: SupervisedProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (pause.exit !== undefined) throw new Error(`the pause process exited (${JSON.stringify(pause.exit)})`);
    const exe = await readlink(`/proc/${pause.pid}/exe`).catch(() => '');
    if (exe.endsWith('/sleep')) return;
    await sleep(30);
  }
  throw new Error('the pause process did not start');
}

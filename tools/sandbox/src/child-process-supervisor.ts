import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs in a small Python process before the real program: optionally drops to another user, asks the kernel to
 * send `signal` when the owner (our process) dies (prctl PR_SET_PDEATHSIG), exits if the owner is already gone,
 * then execs the program, which keeps the same pid. The death signal survives the exec; it is set after the
 * user switch because a credential change clears it.
 */
const DEATH_TIE_SCRIPT = `
import ctypes, os, pwd, sys
owner, user, sig = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if user:
    pw = pwd.getpwnam(user)
    os.initgroups(user, pw.pw_gid)
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    os.environ.update(HOME=pw.pw_dir, USER=user, LOGNAME=user)
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(1, sig, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_PDEATHSIG) failed: errno %d" % ctypes.get_errno())
if os.getppid() != owner:
    sys.exit("owner %d is gone; not starting %s" % (owner, sys.argv[4]))
os.execvp(sys.argv[4], sys.argv[4:])
`;

export interface SupervisedProcessOptions {
  /** A short name for messages ("synapse", "moto"). */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Run as this OS user (requires root), e.g. `postgres` for `postgres`/`initdb`. */
  runAsUser?: string;
  /** Sent to the process by the kernel when its owner dies. Default SIGTERM. */
  deathSignal?: NodeJS.Signals;
  /** Sent to the process group by {@link SupervisedProcess.stop}. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long `stop()` waits before SIGKILL. Default 10 s. */
  stopGraceMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  /** Set once the process has exited. */
  readonly exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;
  /** SIGTERM (or the stop signal) to the process group, SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void>;
}

/** The Python interpreter used for the death-tie wrapper. */
function wrapperPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function signalNumber(signal: NodeJS.Signals): number {
  const value = osConstants.signals[signal];
  if (value === undefined) throw new Error(`unknown signal ${signal}`);
  return value;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Starts a child process that cannot outlive its owner: it runs in its own process group, the kernel sends it
 * `deathSignal` when this process dies, and `stop()` ends the whole group (SIGTERM, then SIGKILL).
 *
 * @example
 * const moto = spawnSupervised({ name: 'moto', command: 'moto_server', args: ['-H', '127.0.0.1', '-p', '5000'],
 *   logFile: '/tmp/state/moto.log' });
 * await moto.stop();
 */
export function spawnSupervised(options: SupervisedProcessOptions): SupervisedProcess {
  const deathSignal = options.deathSignal ?? 'SIGTERM';
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const grace = options.stopGraceMs ?? 10_000;
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      wrapperPython(),
      [
        '-c',
        DEATH_TIE_SCRIPT,
        String(process.pid),
        options.runAsUser ?? '',
        String(signalNumber(deathSignal)),
        options.command,
        ...options.args,
      ],
      { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', log, log], detached: true },
    );
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: spawn gave no pid`);
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  child.once('error', () => undefined);
  // The owner must not wait for the child to exit before it can exit itself.
  child.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exit === undefined) {
        killGroup(pid, stopSignal);
        const graceTimer = new AbortController();
        const outcome = await Promise.race([
          exited,
          sleep(grace, 'timeout' as const, { signal: graceTimer.signal }).catch(() => 'aborted' as const),
        ]);
        graceTimer.abort();
        if (outcome === 'timeout') {
          killGroup(pid, 'SIGKILL');
          await exited;
        }
      }
      // Anything left in the group (a program's own children) goes too.
      for (let attempt = 0; attempt < 20 && groupAlive(pid); attempt += 1) {
        killGroup(pid, attempt === 0 ? stopSignal : 'SIGKILL');
        await sleep(100);
      }
    })();
    return stopping;
  };

  return {
    name: options.name,
    pid,
    get exit() {
      return exit;
    },
    exited,
    stop,
  };
}

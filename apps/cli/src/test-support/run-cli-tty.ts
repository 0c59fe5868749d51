import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliRun } from './run-cli.ts';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/*
 * Runs a command on a pseudo-terminal (python3's pty module: stdin, stdout and stderr are the terminal, 120 columns
 * wide, as when an operator types it), waits for `prompt` in its output, types `answer` and Enter, and reads until it
 * exits. The arguments and the answer travel in the environment, never on a command line.
 */
const PTY_DRIVER = `
import fcntl, json, os, pty, select, struct, sys, termios, time
argv = json.loads(os.environ.pop('MR_TTY_ARGV'))
answer = os.environ.pop('MR_TTY_ANSWER')
prompt = os.environ.pop('MR_TTY_PROMPT').encode()
pid, fd = pty.fork()
if pid == 0:
    # 40 rows of 120 columns, as an operator's terminal has (a new pty is 0 x 0)
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
    os.execvp(argv[0], argv)
out = b''
typed = False
deadline = time.time() + 50
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
    if not typed and prompt in out:
        os.write(fd, (answer + '\\r').encode())
        typed = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': out.decode('utf-8', 'replace'), 'typed': typed}))
`;

export interface TtyRun {
  code: number;
  /** Everything the terminal showed (stdout and stderr together, with the echo of what was typed). */
  output: string;
  /** Whether the prompt appeared and the answer was typed. */
  typed: boolean;
}

/**
 * `node bin/run.js ...args` on a terminal, answering `prompt` with `answer`; the environment of the test minus any
 * MATRIX_RESET_* variable (plus `env`), like {@link runCli}.
 */
export function runCliOnTty(args: readonly string[], options: { answer: string; prompt?: string; env?: Record<string, string>; cwd?: string }): Promise<TtyRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MATRIX_RESET_') && name !== 'NODE_ENV'));
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      ['-c', PTY_DRIVER],
      {
        cwd: options.cwd ?? process.cwd(),
        env: {
          ...inherited,
          ...options.env,
          MR_TTY_ARGV: JSON.stringify([process.execPath, BIN, ...args]),
          MR_TTY_ANSWER: options.answer,
          MR_TTY_PROMPT: options.prompt ?? 'to continue: ',
        },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout) => {
        if (error !== null) reject(error);
        else resolve(JSON.parse(stdout) as TtyRun);
      },
    );
  });
}

/** A CLI child started without waiting for it: its pid at once, its result when it exits. */
export interface StartedCli {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly done: Promise<CliRun>;
}

/** Starts `node bin/run.js ...args` (stdin not a terminal, environment as {@link runCli}) and returns at once. */
export function startCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): StartedCli {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MATRIX_RESET_') && name !== 'NODE_ENV'));
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? process.cwd(), env: { ...inherited, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { child, pid: child.pid ?? -1, done };
}

/** Sends `name` to `pid`; false when the process is gone. */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Lets a started CLI run in slices of a few milliseconds until `condition` holds, reading while the process is
 * frozen (SIGSTOP); returns with it still frozen, in exactly the state the condition saw. Kills it and throws,
 * naming `what`, when it exits first or two minutes pass.
 */
export async function stepUntil(cli: StartedCli, what: string, condition: () => Promise<boolean>): Promise<void> {
  let exited = false;
  void cli.done.then(() => (exited = true));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited || !signal(cli.pid, 'SIGSTOP')) break;
    let met = false;
    try {
      met = await condition();
    } finally {
      if (!met) signal(cli.pid, 'SIGCONT');
    }
    if (met) return;
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  if (!exited) signal(cli.pid, 'SIGKILL');
  const run = await cli.done;
  throw new Error(`the CLI was never ${what}: it exited ${run.code}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
}

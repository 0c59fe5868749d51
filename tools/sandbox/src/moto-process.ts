import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSupervised } from './child-process-supervisor.ts';
import { freePort } from './free-port.ts';
import { runCommand } from './run-command.ts';
import { SandboxError } from './sandbox-error.ts';
import { waitUntil } from './wait-until.ts';

export interface MotoService {
  /** e.g. `http://127.0.0.1:41234` — the SSM endpoint (moto serves every AWS service on one port). */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts `moto_server` (a local AWS, used for SSM Parameter Store) on a free loopback port and waits until it
 * answers.
 *
 * @example
 * const moto = await startMoto({ stateDir: '/tmp/state' });
 * // AWS_ENDPOINT_URL_SSM=moto.url aws ssm get-parameters-by-path --path /
 * await moto.stop();
 */
export async function startMoto(options: { stateDir: string; timeoutMs?: number }): Promise<MotoService> {
  const which = await runCommand('sh', ['-c', 'command -v moto_server']);
  if (which.code !== 0) {
    throw new SandboxError({
      code: 'MOTO_MISSING',
      message: 'moto_server is not on PATH',
      nextSteps: ['Run `. scripts/setup` from the repository root (it installs moto[server] when missing)'],
    });
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(options.stateDir, 'moto.log');
  const moto = spawnSupervised({
    name: 'moto',
    command: which.stdout.trim(),
    args: ['-H', '127.0.0.1', '-p', String(port)],
    logFile,
    stopGraceMs: 5_000,
  });
  try {
    await waitUntil(async () => (await fetch(`${url}/moto-api/data.json`)).ok, {
      what: 'moto_server',
      timeoutMs: options.timeoutMs ?? 30_000,
      abortReason: () => (moto.exit ? `exited (${JSON.stringify(moto.exit)})` : undefined),
    });
  } catch (error) {
    await moto.stop();
    throw new SandboxError({
      code: 'MOTO_START_FAILED',
      message: `${(error as Error).message}\n--- ${logFile} (tail) ---\n${await tail(logFile)}`,
      nextSteps: [`Read ${logFile}`],
      cause: error,
    });
  }
  return { url, pid: moto.pid, stop: () => moto.stop() };
}

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from './sandbox.ts';
import { SandboxError, isSandboxError, type SandboxErrorCode } from './sandbox-error.ts';
import { processAlive, writeSandboxRecord, type SandboxRecord } from './sandbox-record.ts';
import type { Sandbox, StartSandboxOptions } from './sandbox-types.ts';

/** What `sandbox up` hands the supervisor (no secrets: they are generated inside it). */
export interface SupervisorRequest {
  options: StartSandboxOptions & { stateDir: string };
  /** Stop everything when this process dies. */
  attachTo?: number;
}

type SupervisorMessage =
  | { type: 'ready'; record: SandboxRecord }
  | { type: 'error'; error: { code?: SandboxErrorCode; message: string; nextSteps?: readonly string[] } };

const ENTRY = fileURLToPath(import.meta.url);

/**
 * Starts a detached supervisor process that owns a sandbox and keeps it alive after the caller exits
 * (until SIGTERM, or until the `attachTo` process dies). Resolves with `sandbox.json` once every service answers.
 *
 * @example
 * const record = await launchSupervisor({ options: { stateDir: '.sandbox/default' }, attachTo: process.ppid });
 */
export async function launchSupervisor(request: SupervisorRequest, timeoutMs = 240_000): Promise<SandboxRecord> {
  await mkdir(request.options.stateDir, { recursive: true });
  const log = openSync(join(request.options.stateDir, 'supervisor.log'), 'a');
  const child = spawn(process.execPath, ['--conditions=@matrix-reset/source', ENTRY, '--supervise', JSON.stringify(request)], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
    env: process.env,
  });
  closeSync(log);
  try {
    return await new Promise<SandboxRecord>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        reject(new SandboxError({ code: 'SUPERVISOR_FAILED', message: `the sandbox did not start within ${timeoutMs} ms`, nextSteps: [`Read ${join(request.options.stateDir, 'supervisor.log')}`] }));
      }, timeoutMs);
      child.once('message', (message: SupervisorMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.record);
        else reject(new SandboxError({ code: message.error.code ?? 'SUPERVISOR_FAILED', message: message.error.message, nextSteps: message.error.nextSteps ?? [] }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new SandboxError({
          code: 'SUPERVISOR_FAILED',
          message: `the sandbox supervisor exited before it was ready (code ${code}, signal ${signal})`,
          nextSteps: [`Read ${join(request.options.stateDir, 'supervisor.log')}`],
        }));
      });
    });
  } finally {
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** The supervisor's own body: start, report, then wait for a signal or for the attached process to die. */
async function supervise(request: SupervisorRequest): Promise<void> {
  const send = (message: SupervisorMessage): void => {
    if (process.connected) process.send?.(message);
  };
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox(request.options);
  } catch (error) {
    process.stderr.write(`${isSandboxError(error) ? error.message : String((error as Error).stack ?? error)}\n`);
    send({
      type: 'error',
      error: isSandboxError(error)
        ? { code: error.code, message: error.message, nextSteps: error.nextSteps }
        : { message: String((error as Error).message ?? error) },
    });
    process.exitCode = 1;
    if (process.connected) process.disconnect();
    return;
  }
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${new Date().toISOString()} stopping the sandbox: ${why}\n`);
    clearInterval(watch);
    await sandbox.stop().catch((error: unknown) => process.stderr.write(`stop failed: ${String(error)}\n`));
    process.exit(0);
  };
  const watch = setInterval(() => {
    if (request.attachTo !== undefined && !processAlive(request.attachTo)) void stop(`process ${request.attachTo} exited`);
  }, 500);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  const record = await writeSandboxRecord(sandbox, { supervisor: true });
  process.stderr.write(`${new Date().toISOString()} sandbox ready in ${sandbox.stateDir} (pid ${process.pid})\n`);
  send({ type: 'ready', record });
  if (process.connected) process.disconnect();
}

if (process.argv[1] === ENTRY && process.argv[2] === '--supervise' && process.argv[3] !== undefined) {
  void supervise(JSON.parse(process.argv[3]) as SupervisorRequest);
}

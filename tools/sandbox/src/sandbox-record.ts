import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatEnvFile } from './sandbox-env.ts';
import type { Sandbox, SandboxEndpoints, SandboxService } from './sandbox-types.ts';

/** What `<stateDir>/sandbox.json` holds: enough for `sandbox status` and for `sandbox down` to clean up. */
export interface SandboxRecord {
  version: 1;
  provider: 'process' | 'containers';
  stateDir: string;
  services: SandboxService[];
  endpoints: SandboxEndpoints;
  env: Record<string, string>;
  /** The process that owns the services (they die with it). */
  ownerPid: number;
  /** Set when the owner is a `sandbox up` supervisor, which `sandbox down` may signal. */
  supervisor: boolean;
  pids: number[];
  startedAt: string;
}

export const RECORD_FILE = 'sandbox.json';
export const ENV_FILE = 'sandbox.env';

/**
 * Writes `sandbox.env` and `sandbox.json` into the sandbox's state directory, both 0600: with `synapse-postgres`
 * they hold its database URL, password included.
 *
 * @example
 * await writeSandboxRecord(sandbox, { supervisor: true });
 */
export async function writeSandboxRecord(sandbox: Sandbox, options: { supervisor: boolean }): Promise<SandboxRecord> {
  const record: SandboxRecord = {
    version: 1,
    provider: sandbox.provider,
    stateDir: sandbox.stateDir,
    services: [...sandbox.services],
    endpoints: sandbox.endpoints,
    env: { ...sandbox.env },
    ownerPid: process.pid,
    supervisor: options.supervisor,
    pids: [...sandbox.pids],
    startedAt: new Date().toISOString(),
  };
  for (const [name, text] of [[ENV_FILE, formatEnvFile(sandbox.env)], [RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`]] as const) {
    await writeFile(join(sandbox.stateDir, name), text, { mode: 0o600 });
    await chmod(join(sandbox.stateDir, name), 0o600);
  }
  return record;
}

/**
 * Reads `sandbox.json`, or `undefined` when the state directory holds none.
 *
 * @example
 * const record = await readSandboxRecord('/work/main/.sandbox/default');
 */
export async function readSandboxRecord(stateDir: string): Promise<SandboxRecord | undefined> {
  const text = await readFile(join(stateDir, RECORD_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as SandboxRecord);
}

/**
 * Removes `sandbox.env` and `sandbox.json` (logs and data stay for inspection).
 *
 * @example
 * await removeSandboxRecord('/work/main/.sandbox/default');
 */
export async function removeSandboxRecord(stateDir: string): Promise<void> {
  await rm(join(stateDir, ENV_FILE), { force: true });
  await rm(join(stateDir, RECORD_FILE), { force: true });
}

/**
 * True when a process with this pid exists.
 *
 * @example
 * processAlive(record.ownerPid);
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

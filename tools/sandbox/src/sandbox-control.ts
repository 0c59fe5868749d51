import { setTimeout as sleep } from 'node:timers/promises';
import { kubeApiAnswers } from './kube-sim-process.ts';
import { dropDatabase, dropRole, postgresAnswers } from './postgres-provider.ts';
import { SandboxError } from './sandbox-error.ts';
import { processAlive, readSandboxRecord, removeSandboxRecord, type SandboxRecord } from './sandbox-record.ts';

export interface ServiceStatus {
  service: string;
  url: string;
  healthy: boolean;
}

export interface SandboxStatus {
  stateDir: string;
  running: boolean;
  ownerPid?: number;
  services: ServiceStatus[];
}

async function answers(url: string, expectBody?: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    const body = await response.text();
    return response.ok && (expectBody === undefined || body === expectBody);
  } catch {
    return false;
  }
}

function pgServer(url: string): { host: string; port: number; user: string } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432), user: decodeURIComponent(parsed.username) };
}

/**
 * What runs in a state directory: the owner process and whether each service answers.
 *
 * @example
 * const status = await sandboxStatus('/work/main/.sandbox/default');
 * if (!status.running) process.stderr.write('no sandbox\n');
 */
export async function sandboxStatus(stateDir: string): Promise<SandboxStatus> {
  const record = await readSandboxRecord(stateDir);
  if (record === undefined) return { stateDir, running: false, services: [] };
  const { endpoints } = record;
  const checks: Promise<ServiceStatus>[] = [];
  const synapses = [
    ['synapse', endpoints.synapse],
    ['synapse-delegated', endpoints.synapseDelegated],
    ['synapse-postgres', endpoints.synapsePostgres],
  ] as const;
  for (const [service, endpoint] of synapses) {
    if (endpoint === undefined) continue;
    const { url } = endpoint;
    checks.push(answers(`${url}/health`, 'OK').then((healthy) => ({ service, url, healthy })));
  }
  if (endpoints.postgres) {
    const url = endpoints.postgres.url;
    checks.push(postgresAnswers(pgServer(url)).then((healthy) => ({ service: 'postgres', url, healthy })));
  }
  if (endpoints.ssm) {
    const url = endpoints.ssm.url;
    checks.push(answers(`${url}/moto-api/data.json`).then((healthy) => ({ service: 'ssm', url, healthy })));
  }
  if (endpoints.kube) {
    const kube = endpoints.kube;
    checks.push(kubeApiAnswers(kube).then((healthy) => ({ service: 'kube', url: kube.url, healthy })));
  }
  return { stateDir, running: processAlive(record.ownerPid), ownerPid: record.ownerPid, services: await Promise.all(checks) };
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Cleans up after an owner that died without stopping its services (e.g. SIGKILL). */
async function cleanUpOrphans(record: SandboxRecord): Promise<void> {
  for (const pid of record.pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone (the kernel's death signal usually got there first)
    }
  }
  const postgres = record.endpoints.postgres;
  if (postgres && postgres.mode === 'server') {
    const server = pgServer(postgres.adminUrl);
    if (await postgresAnswers(server)) {
      for (const name of postgres.databases) await dropDatabase(server, name);
      for (const name of postgres.roles ?? []) await dropRole(server, name);
    }
  }
}

/**
 * Stops the sandbox that a `sandbox up` supervisor runs in `stateDir`, drops its databases and removes
 * `sandbox.env`/`sandbox.json`. Returns false when nothing was running there.
 *
 * @example
 * await stopSandboxIn('/work/main/.sandbox/default');
 */
export async function stopSandboxIn(stateDir: string): Promise<boolean> {
  const record = await readSandboxRecord(stateDir);
  if (record === undefined) return false;
  if (processAlive(record.ownerPid)) {
    if (!record.supervisor) {
      throw new SandboxError({
        code: 'BAD_INPUT',
        message: `the sandbox in ${stateDir} belongs to process ${record.ownerPid}, which started it through the library, not \`sandbox up\``,
        nextSteps: [`Stop it from that process (sandbox.stop()), or end process ${record.ownerPid}`],
      });
    }
    process.kill(record.ownerPid, 'SIGTERM');
    if (!(await waitForExit(record.ownerPid, 60_000))) {
      process.kill(record.ownerPid, 'SIGKILL');
      await waitForExit(record.ownerPid, 5_000);
    }
  }
  if ((await readSandboxRecord(stateDir)) !== undefined) {
    await cleanUpOrphans(record);
    await removeSandboxRecord(stateDir);
  }
  return true;
}

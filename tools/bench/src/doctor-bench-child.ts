import { doctor, type DoctorReport } from '@matrix-reset/reset-core';
import { createSynapseClient } from '@matrix-reset/synapse-admin';
import { openmeetLayout, postgresKysely } from '@matrix-reset/user-creds';
import { Agent } from 'undici';

/**
 * One `doctor()` run in a fresh Node process (forked by the doctor benchmark), so every measurement starts from the
 * same heap: builds an undici Agent with `concurrency` connections, a Synapse client on it carrying the admin token,
 * and a pool on the app database, then runs doctor over every stored credential while sampling its own RSS every
 * 10 ms. The input (admin token included) arrives over IPC, never in argv or the environment; the result sent back
 * holds counts and figures only, never a token.
 */
export interface DoctorChildInput {
  synapseUrl: string;
  serverName: string;
  adminToken: string;
  databaseUrl: string;
  /** LIKE pattern of the tenant schemas. */
  like: string;
  concurrency: number;
}

export interface DoctorChildResult {
  seconds: number;
  examined: number;
  population: number;
  totals: DoctorReport['totals'];
  adminToken: DoctorReport['adminToken'];
  action: DoctorReport['recommendation']['action'];
  /** RSS just before `doctor()` (reset-core and its dependencies loaded, clients created). */
  rssStartMb: number;
  /** Highest RSS sampled during `doctor()`. */
  rssPeakMb: number;
  /** `process.memoryUsage()` right after `doctor()` returned: where the resident memory is. */
  endMb: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

const mb = (bytes: number) => bytes / 1024 / 1024;

const input = await new Promise<DoctorChildInput>((resolve) => process.once('message', (message) => resolve(message as DoctorChildInput)));

const dispatcher = new Agent({ connections: input.concurrency, pipelining: 1 });
const synapse = createSynapseClient({ baseUrl: input.synapseUrl, serverName: input.serverName, accessToken: input.adminToken, dispatcher });
const db = postgresKysely({ connectionString: input.databaseUrl, max: 2, applicationName: 'matrix-reset-bench-doctor' });
const target = { name: 'bench', appDatabase: { url: 'env:DATABASE_URL', layout: openmeetLayout({ schemas: { like: [input.like] } }) } };
try {
  const start = process.memoryUsage.rss();
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  const report = await doctor(target, { synapse, db }, { concurrency: input.concurrency, maxListedRows: 10 });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const end = process.memoryUsage();
  peak = Math.max(peak, end.rss);
  const result: DoctorChildResult = {
    seconds,
    examined: report.examined,
    population: report.population,
    totals: report.totals,
    adminToken: report.adminToken,
    action: report.recommendation.action,
    rssStartMb: mb(start),
    rssPeakMb: mb(peak),
    endMb: { rss: mb(end.rss), heapTotal: mb(end.heapTotal), heapUsed: mb(end.heapUsed), external: mb(end.external), arrayBuffers: mb(end.arrayBuffers) },
  };
  await new Promise<void>((resolve, reject) => process.send?.(result, (error: Error | null) => (error ? reject(error) : resolve())));
} finally {
  await db.destroy();
  await dispatcher.close();
  process.disconnect?.();
}

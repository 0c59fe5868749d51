import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctor, parseResetConfig, resolveEnvironment, type DoctorReport, type DoctorTarget } from '@matrix-reset/reset-core';
import { openSecretStore } from '@matrix-reset/secrets';
import { createSynapseClient } from '@matrix-reset/synapse-admin';
import { openmeetLayout, postgresKysely } from '@matrix-reset/user-creds';
import { Agent } from 'undici';

/**
 * One `doctor()` run in a fresh Node process (forked by the doctor benchmarks), so every measurement starts from the
 * same heap: builds an undici Agent with `concurrency` connections, a Synapse client on it carrying the admin token,
 * and a pool on the app database, then runs doctor over every stored credential (or a sample) while sampling its own
 * RSS every 10 ms and counting the HTTP requests undici starts. The input (admin token and database URLs included)
 * arrives over IPC, never in argv or the environment of the fork; the result sent back holds counts and figures only,
 * never a token.
 */
export interface DoctorChildInput {
  synapseUrl: string;
  serverName: string;
  adminToken: string;
  databaseUrl: string;
  /** LIKE pattern of the tenant schemas. */
  like: string;
  concurrency: number;
  /** doctor's `evidence` (default: doctor's own, `auto`, which is the API here unless `synapseDatabaseUrl` is given). */
  evidence?: 'api' | 'database';
  /** doctor's `sample`. */
  sample?: number;
  /** doctor's `crossCheck`. */
  crossCheck?: number;
  /**
   * Synapse's database URL (its role's password in it). When given, the target is a whole environment as the CLI
   * would resolve it: `synapse.database.url` is an `env:` reference to a variable this process sets for itself, and
   * the `adminToken` target a `dotenv:` file (0600, in a private temporary directory, removed at the end), so the
   * admin token is judged from Synapse's tables too.
   */
  synapseDatabaseUrl?: string;
}

export interface DoctorChildResult {
  seconds: number;
  examined: number;
  population: number;
  totals: DoctorReport['totals'];
  adminToken: DoctorReport['adminToken'];
  action: DoctorReport['recommendation']['action'];
  evidence: DoctorReport['evidence']['source'];
  /** HTTP requests undici started during `doctor()` (`undici:request:create`): every request to Synapse. */
  httpRequests: number;
  /** With `crossCheck`: rows checked again and how many disagreed (the first few, never a token). */
  crossCheck?: { requested: number; checked: number; disagreements: number; firstDisagreements: DoctorReport['findings'] };
  /** RSS just before `doctor()` (reset-core and its dependencies loaded, clients created). */
  rssStartMb: number;
  /** Highest RSS sampled during `doctor()`. */
  rssPeakMb: number;
  /** The kernel's high-water mark of the process at the end (`process.resourceUsage().maxRSS`: no sampling gap). */
  maxRssMb: number;
  /** `process.memoryUsage()` right after `doctor()` returned: where the resident memory is. */
  endMb: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

const mb = (bytes: number) => bytes / 1024 / 1024;

const input = await new Promise<DoctorChildInput>((resolve) => process.once('message', (message) => resolve(message as DoctorChildInput)));

/** The target doctor runs on: the app layout alone, or (for Synapse's database) the environment the CLI would resolve. */
async function targetOf(input: DoctorChildInput, dir: string): Promise<DoctorTarget> {
  const layout = openmeetLayout({ schemas: { like: [input.like] } });
  if (input.synapseDatabaseUrl === undefined) return { name: 'bench', appDatabase: { url: 'env:DATABASE_URL', layout } };
  // This process's own environment, set here: the reference resolves without the value ever leaving it.
  process.env['MR_BENCH_SYNAPSE_DATABASE_URL'] = input.synapseDatabaseUrl;
  await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${input.adminToken}\n`, { mode: 0o600 });
  const yaml = [
    'version: 1',
    'environments:',
    '  bench:',
    `    synapse: { url: ${input.synapseUrl}, serverName: ${input.serverName}, database: { url: env:MR_BENCH_SYNAPSE_DATABASE_URL } }`,
    '    adminToken: [{ token: "dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN" }]',
    `    appDatabase: { url: env:DATABASE_URL, layout: { preset: openmeet, schemas: { like: [${JSON.stringify(input.like)}] } } }`,
    '',
  ].join('\n');
  const environment = resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), 'bench');
  // The layout object as the benchmark built it: the same one the app-only target uses.
  return { ...environment, appDatabase: { ...environment.appDatabase, layout } };
}

const dispatcher = new Agent({ connections: input.concurrency, pipelining: 1 });
const synapse = createSynapseClient({ baseUrl: input.synapseUrl, serverName: input.serverName, accessToken: input.adminToken, dispatcher });
const db = postgresKysely({ connectionString: input.databaseUrl, max: 2, applicationName: 'matrix-reset-bench-doctor' });
const dir = await mkdtemp(join(tmpdir(), 'mr-bench-doctor-'));
const target = await targetOf(input, dir);
let httpRequests = 0;
const countRequest = () => void httpRequests++;
try {
  const start = process.memoryUsage.rss();
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  diagnostics.subscribe('undici:request:create', countRequest);
  const started = performance.now();
  const report = await doctor(
    target,
    { synapse, db, openSecretStore: (reference: string) => openSecretStore(reference) },
    {
      concurrency: input.concurrency,
      maxListedRows: 10,
      ...(input.evidence === undefined ? {} : { evidence: input.evidence }),
      ...(input.sample === undefined ? {} : { sample: input.sample }),
      ...(input.crossCheck === undefined ? {} : { crossCheck: input.crossCheck }),
    },
  );
  const seconds = (performance.now() - started) / 1000;
  diagnostics.unsubscribe('undici:request:create', countRequest);
  clearInterval(sampler);
  const end = process.memoryUsage();
  peak = Math.max(peak, end.rss);
  const cross = report.crossCheck;
  const result: DoctorChildResult = {
    seconds,
    examined: report.examined,
    population: report.population,
    totals: report.totals,
    adminToken: report.adminToken,
    action: report.recommendation.action,
    evidence: report.evidence.source,
    httpRequests,
    ...(cross === undefined
      ? {}
      : {
          crossCheck: {
            requested: cross.requested,
            checked: cross.checked,
            disagreements: cross.disagreements.length,
            firstDisagreements: cross.disagreements.slice(0, 5).map((d) => ({ schema: d.schema, key: d.key, userId: d.userId, class: d.api, reason: `database said ${d.database}` })),
          },
        }),
    rssStartMb: mb(start),
    rssPeakMb: mb(peak),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    endMb: { rss: mb(end.rss), heapTotal: mb(end.heapTotal), heapUsed: mb(end.heapUsed), external: mb(end.external), arrayBuffers: mb(end.arrayBuffers) },
  };
  await new Promise<void>((resolve, reject) => process.send?.(result, (error: Error | null) => (error ? reject(error) : resolve())));
} finally {
  await db.destroy();
  await dispatcher.close();
  await rm(dir, { recursive: true, force: true });
  process.disconnect?.();
}

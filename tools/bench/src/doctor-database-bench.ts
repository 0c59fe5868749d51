import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { CredentialClass } from '@matrix-reset/reset-core';
import { createSynapseClient } from '@matrix-reset/synapse-admin';
import { postgresKysely, type AnyKysely } from '@matrix-reset/user-creds';
import { sql } from 'kysely';
import { Agent } from 'undici';
import { benchDatabase } from './bench-postgres.ts';
import { benchSynapsePostgres } from './bench-services.ts';
import { createTenantSchemas, doctorChild, shebangNodeFlags, TENANT_LIKE } from './doctor-bench.ts';
import type { DoctorChildInput, DoctorChildResult } from './doctor-bench-child.ts';
import { appendMintedRows, CREDENTIAL_MIX, expectedTotals, generateAppRows, generateSynapseRows, removeSynapseRows, type GeneratedRows } from './doctor-database-rows.ts';
import { mintTokens } from './mint-tokens.ts';
import { median } from './synapse-whoami-bench.ts';

export interface DoctorDatabaseBenchOptions {
  /** Stored credentials in all, the minted ones included (default 1,000,000). */
  credentials?: number;
  /** Of those, real tokens minted through the API (default 1,000). */
  minted?: number;
  /** Rows of the API path's evenly spaced sample (default 10,000). */
  apiSample?: number;
  /** Rows the cross-check run checks again through whoami (default 1,000). */
  crossCheck?: number;
  /** Measured database runs per Node flag set (default 1). */
  rounds?: number;
  /** Tenant schemas (default 10). */
  tenants?: number;
  /** doctor's concurrency and its Agent's connections, for the API path and the cross-check (default 32). */
  concurrency?: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

/** One database-evidence run over every credential, in a fresh child. */
export interface DatabaseRun {
  /** Node flags of the child beyond the parent's (none: Node's defaults). */
  flags: string[];
  seconds: number;
  perSecond: number;
  /** RSS just before doctor() -> highest sample (every 10 ms) during it. */
  rssStartMb: number;
  rssPeakMb: number;
  /** The child's kernel high-water mark (module loading included). */
  maxRssMb: number;
  httpRequests: number;
}

export interface DoctorDatabaseBenchResult {
  credentials: number;
  minted: number;
  tenants: number;
  synapseVersion: string;
  /** The totals every full run must find: the generated mix plus the minted (valid) rows. */
  mix: Record<CredentialClass, number>;
  mintSeconds: number;
  generateSeconds: { synapse: number; app: number };
  database: DatabaseRun[];
  medianDatabasePerSecond: number;
  /** The API path on an evenly spaced sample, and the database path on the same sample (identical totals required). */
  api: { sample: number; examined: number; seconds: number; perSecond: number; httpRequests: number; maxRssMb: number; sampleDatabaseSeconds: number };
  /** Median database rate (Node's defaults) / API rate. */
  ratio: number;
  crossCheck: { requested: number; checked: number; disagreements: number; seconds: number; httpRequests: number };
  /** Rows deleted from Synapse's tables at the end, per table. */
  removed: Record<string, number>;
  goals: { ratio: boolean; under60s: boolean; peakRss: boolean; noHttp: boolean; crossCheck: boolean };
}

const CLI_BIN = fileURLToPath(new URL('../../../apps/cli/bin/run.js', import.meta.url));

/** Aborts unless the run found exactly `expected`, with database evidence and the admin token valid. */
function requireTotals(what: string, run: DoctorChildResult, expected: Record<CredentialClass, number>, evidence: 'database' | 'api'): void {
  const wrong = (Object.keys(expected) as CredentialClass[]).filter((name) => run.totals[name] !== expected[name]);
  if (wrong.length > 0 || run.evidence !== evidence || run.adminToken !== 'valid') {
    throw new Error(
      `${what}: ${wrong.map((name) => `${name} ${run.totals[name]} (expected ${expected[name]})`).join(', ') || 'totals as expected'}, ` +
        `evidence ${run.evidence}, admin token ${run.adminToken}: the figures would be meaningless`,
    );
  }
}

/**
 * Measures doctor's database evidence over `credentials` stored credentials against a real Synapse schema (the
 * sandbox's Synapse on Postgres): rows generated straight into Synapse's `users` and `access_tokens` and into an
 * `openmeet` layout in a database of its own, in a known mix of classes, plus `minted` real tokens. Each doctor run is
 * a forked child (fresh heap, RSS sampled every 10 ms, its HTTP requests counted): the database path with Node's
 * default flags and with the CLI's shebang flags, the API path and the database path on the same evenly spaced
 * sample, and a database run with a cross-check through whoami. The generated Synapse rows and the app database are
 * removed at the end.
 *
 * @example
 * const result = await runDoctorDatabaseBench({ credentials: 100_000, apiSample: 2000 });
 * console.log(result.medianDatabasePerSecond, result.ratio);
 */
export async function runDoctorDatabaseBench(options: DoctorDatabaseBenchOptions = {}): Promise<DoctorDatabaseBenchResult> {
  const count = options.credentials ?? 1_000_000;
  const minted = Math.min(options.minted ?? 1000, count);
  const apiSample = options.apiSample ?? 10_000;
  const crossCheck = options.crossCheck ?? 1000;
  const rounds = options.rounds ?? 1;
  const tenants = Math.min(options.tenants ?? 10, count);
  const concurrency = options.concurrency ?? 32;
  const log = options.log ?? (() => undefined);
  const synapse = await benchSynapsePostgres();
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const run = randomBytes(4).toString('hex');
  const generated: GeneratedRows = {
    prefix: `bench-db-${run}-`,
    serverName: synapse.serverName,
    count: count - minted,
    secret: randomBytes(16).toString('hex'),
    // Synapse counts access_tokens ids up from 1; 2^52 plus a run slot keeps clear of them and of other runs.
    idBase: 2n ** 52n + BigInt(randomInt(0, 2 ** 16)) * 2n ** 32n,
  };
  const synapseDb: AnyKysely = postgresKysely({ connectionString: synapse.databaseUrl, max: 1, applicationName: 'matrix-reset-bench' });
  let mintedUsers: string[] = [];
  let mintedAdmin: ReturnType<typeof createSynapseClient> | undefined;
  let removed: Record<string, number> = {};
  let outcome: DoctorDatabaseBenchResult | undefined;
  try {
    const database = await benchDatabase('mr_bench_doctor_db', { serverUrl: synapse.serverUrl });
    const db = postgresKysely({ connectionString: database.url, max: 2, applicationName: 'matrix-reset-bench' });
    try {
      const registered = await createSynapseClient({ baseUrl: synapse.url, dispatcher }).registerWithSharedSecret({
        sharedSecret: synapse.sharedSecret,
        username: `bench-doctor-db-admin-${run}`,
        password: randomBytes(18).toString('base64url'),
        admin: true,
      });
      if (!registered.accessToken) throw new Error('shared-secret registration of the doctor admin returned no token');
      const admin = createSynapseClient({ baseUrl: synapse.url, dispatcher, accessToken: registered.accessToken });
      const { serverVersion } = await admin.admin.serverVersion();

      log(`minting ${minted} real tokens on ${synapse.url}`);
      const mintStarted = performance.now();
      const real = await mintTokens({ baseUrl: synapse.url, sharedSecret: synapse.sharedSecret, dispatcher, count: minted });
      mintedUsers = real.users;
      mintedAdmin = real.admin;
      const mintSeconds = (performance.now() - mintStarted) / 1000;

      log(`generating ${generated.count} rows into Synapse's users and access_tokens (${synapse.database})`);
      let started = performance.now();
      const written = await generateSynapseRows(synapseDb, generated, Date.now());
      const synapseSeconds = (performance.now() - started) / 1000;
      log(`  ${written.users} users, ${written.tokens} access tokens in ${synapseSeconds.toFixed(1)} s`);
      log(`generating the app side: ${count} rows in ${tenants} tenant schemas of ${database.name}`);
      started = performance.now();
      const schemas = await createTenantSchemas(db, tenants);
      await generateAppRows(db, schemas, generated);
      await appendMintedRows(db, schemas, real.tokens, real.owners);
      await sql`VACUUM ANALYZE`.execute(db);
      const appSeconds = (performance.now() - started) / 1000;
      log(`  in ${appSeconds.toFixed(1)} s`);
      const expected = expectedTotals(generated.count, minted);

      const base: DoctorChildInput = {
        synapseUrl: synapse.url,
        serverName: synapse.serverName,
        adminToken: registered.accessToken,
        databaseUrl: database.url,
        like: TENANT_LIKE,
        concurrency,
        synapseDatabaseUrl: synapse.databaseUrl,
      };
      const flagSets = [[], shebangNodeFlags(CLI_BIN)];
      const databaseRuns: DatabaseRun[] = [];
      for (let round = 0; round < rounds; round++) {
        for (const flags of flagSets) {
          const result = await doctorChild({ ...base, evidence: 'database' }, flags);
          requireTotals(`database run (${flags.join(' ') || "Node's defaults"})`, result, expected, 'database');
          const entry: DatabaseRun = {
            flags,
            seconds: result.seconds,
            perSecond: result.examined / result.seconds,
            rssStartMb: result.rssStartMb,
            rssPeakMb: result.rssPeakMb,
            maxRssMb: result.maxRssMb,
            httpRequests: result.httpRequests,
          };
          databaseRuns.push(entry);
          log(
            `database, ${flags.join(' ') || "Node's default flags"}: ${result.examined} in ${entry.seconds.toFixed(2)} s = ${entry.perSecond.toFixed(0)}/s; ` +
              `RSS ${entry.rssStartMb.toFixed(0)} -> ${entry.rssPeakMb.toFixed(0)} MB (max ${entry.maxRssMb.toFixed(0)}); ${entry.httpRequests} HTTP requests`,
          );
        }
      }

      log(`API path on an evenly spaced sample of ${apiSample}`);
      const apiRun = await doctorChild({ ...base, evidence: 'api', sample: apiSample });
      const sampleDatabase = await doctorChild({ ...base, evidence: 'database', sample: apiSample });
      requireTotals('database run on the API sample', sampleDatabase, apiRun.totals, 'database');
      if (apiRun.evidence !== 'api' || apiRun.adminToken !== 'valid' || apiRun.totals.unchecked > 0) {
        throw new Error(`API run: evidence ${apiRun.evidence}, admin token ${apiRun.adminToken}, ${apiRun.totals.unchecked} unchecked: the figures would be meaningless`);
      }
      const apiPerSecond = apiRun.examined / apiRun.seconds;
      log(`  API ${apiRun.examined} in ${apiRun.seconds.toFixed(2)} s = ${apiPerSecond.toFixed(0)}/s (${apiRun.httpRequests} HTTP requests); the database path agrees on every class`);

      log(`database run with a cross-check of ${crossCheck} rows through whoami`);
      const crossRun = await doctorChild({ ...base, evidence: 'database', crossCheck });
      requireTotals('cross-check run', crossRun, expected, 'database');
      const cross = crossRun.crossCheck ?? { requested: crossCheck, checked: 0, disagreements: 0, firstDisagreements: [] };
      log(`  checked ${cross.checked}, ${cross.disagreements} disagreements, ${crossRun.httpRequests} HTTP requests, ${crossRun.seconds.toFixed(2)} s`);
      for (const d of cross.firstDisagreements) log(`  disagreement: ${d.schema}/${d.key} ${d.userId ?? ''}: whoami says ${d.class}, ${d.reason ?? ''}`);

      const medianDatabasePerSecond = median(databaseRuns.filter((r) => r.flags.length === 0).map((r) => r.perSecond));
      const ratio = medianDatabasePerSecond / apiPerSecond;
      const slowest = Math.max(...databaseRuns.map((r) => r.seconds));
      outcome = {
        credentials: count,
        minted,
        tenants,
        synapseVersion: serverVersion,
        mix: expected,
        mintSeconds,
        generateSeconds: { synapse: synapseSeconds, app: appSeconds },
        database: databaseRuns,
        medianDatabasePerSecond,
        api: {
          sample: apiSample,
          examined: apiRun.examined,
          seconds: apiRun.seconds,
          perSecond: apiPerSecond,
          httpRequests: apiRun.httpRequests,
          maxRssMb: apiRun.maxRssMb,
          sampleDatabaseSeconds: sampleDatabase.seconds,
        },
        ratio,
        crossCheck: { requested: cross.requested, checked: cross.checked, disagreements: cross.disagreements, seconds: crossRun.seconds, httpRequests: crossRun.httpRequests },
        removed,
        goals: {
          ratio: ratio >= 50,
          under60s: slowest < 60,
          peakRss: databaseRuns.every((r) => r.maxRssMb < 150),
          noHttp: databaseRuns.every((r) => r.httpRequests === 0),
          crossCheck: cross.disagreements === 0 && cross.checked === Math.min(crossCheck, count - expected.partial),
        },
      };
    } finally {
      await db.destroy();
      await database.drop();
    }
  } finally {
    try {
      removed = await removeSynapseRows(synapseDb, generated);
      log(`removed the generated rows from Synapse's tables: ${Object.entries(removed).map(([table, n]) => `${n} from ${table}`).join(', ')}`);
      // The minted users' tokens go with their deactivation (users are never deleted in Synapse).
      for (const userId of mintedUsers) await mintedAdmin?.admin.deactivateUser(userId, { erase: false });
    } finally {
      await synapseDb.destroy();
      await dispatcher.close();
      await synapse.stop();
    }
  }
  return { ...outcome, removed };
}

/** The mix as a line: `70 % valid, 8 % unknown_token, ...`. */
export function mixDescription(): string {
  return CREDENTIAL_MIX.map(([name, share]) => `${share} % ${name}`).join(', ');
}

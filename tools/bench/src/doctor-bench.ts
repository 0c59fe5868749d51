import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { createSynapseClient } from '@matrix-reset/synapse-admin';
import { postgresKysely, type AnyKysely } from '@matrix-reset/user-creds';
import { sql } from 'kysely';
import { benchDatabase } from './bench-postgres.ts';
import { benchSynapse } from './bench-services.ts';
import type { CliMemoryRecord } from './cli-memory-hook.ts';
import type { DoctorChildInput, DoctorChildResult } from './doctor-bench-child.ts';
import { mintTokens } from './mint-tokens.ts';
import { directRound, median } from './synapse-whoami-bench.ts';

export interface DoctorBenchOptions {
  /** Stored credentials, each a real token (default 10,000). */
  credentials?: number;
  /** doctor's concurrency, its Agent's connections and autocannon's connections (default 32). */
  concurrency?: number;
  /** Measured rounds per contender, alternated (direct, doctor, direct, doctor, ...) (default 3). */
  rounds?: number;
  /** Tenant schemas the credentials are spread over (default 10). */
  tenants?: number;
  /** V8 flag sets to try doctor and the CLI with, after the rounds (default none). */
  heapVariants?: readonly (readonly string[])[];
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

export interface DoctorRound {
  contender: 'direct' | 'doctor';
  credentials: number;
  seconds: number;
  perSecond: number;
}

export interface DoctorMemory {
  /** RSS just before `doctor()`. */
  startMb: number;
  /** Highest RSS sampled (every 10 ms) during `doctor()`. */
  peakMb: number;
  /** peak - start. */
  growthMb: number;
  /** V8 heap (total reserved / used), external and array buffers right after `doctor()` returned. */
  endHeapTotalMb: number;
  endHeapUsedMb: number;
  endExternalMb: number;
}

export interface DoctorBenchResult {
  credentials: number;
  tenants: number;
  concurrency: number;
  synapseVersion: string;
  mintSeconds: number;
  loadSeconds: number;
  rounds: DoctorRound[];
  /** Per measured doctor round, in order. */
  memory: DoctorMemory[];
  medianDirectPerSecond: number;
  medianDoctorPerSecond: number;
  /** Median of the per-pair ratios doctor / direct (each doctor round against the direct round just before it). */
  medianPairRatio: number;
  /** Median doctor rate / median direct rate. */
  ratio: number;
  /** The highest peak RSS of the measured doctor rounds. */
  peakRssMb: number;
  /** One more doctor run after the rounds (not in the ratio), its child started with {@link CAPPED_HEAP_FLAGS}. */
  capped: { flags: string[]; seconds: number; perSecond: number; memory: DoctorMemory };
  /**
   * For each V8 flag set in `heapVariants` (not in the ratio): one more doctor child and one more `matrix-reset
   * doctor` with those flags before the CLI's own arguments (as `node <flags> bin/run.js` or NODE_OPTIONS would).
   */
  variants: { flags: string[]; seconds: number; perSecond: number; memory: DoctorMemory; cli: CliDoctorRun }[];
  /**
   * `matrix-reset doctor --json` itself (apps/cli/bin/run.js, from source as in a checkout), once per round after the
   * doctor child: the real command's peak RSS (kernel high-water mark), its wall and CPU time (process start to exit,
   * module loading included) and the heavy packages it loaded (none expected: no Kubernetes, no ssm: references).
   */
  cli: CliDoctorRun[];
  /** The highest peak RSS of the CLI runs. */
  cliPeakRssMb: number;
  goals: { ratio: boolean; peakRss: boolean; cliPeakRss: boolean };
}

export interface CliDoctorRun {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  examined: number;
  action: string;
  heavyModules: string[];
}

/** V8 heap limits of the extra "capped" doctor run: 8 MB semi-spaces, 128 MB old generation. */
export const CAPPED_HEAP_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=128'];

const TENANT_PREFIX = 'tenant_bench_';
/** LIKE pattern of the schemas {@link createTenantSchemas} makes. */
export const TENANT_LIKE = 'tenant\\_bench\\_%';

/**
 * Makes the openmeet layout's tables (as user-creds' preset expects them), one `tenant_bench_NN` schema per tenant:
 * `users` (`id`, `slug`, `"matrixUserId"`, `"matrixAccessToken"`, `"matrixDeviceId"`, `preferences`) and empty
 * `events`/`groups`; returns the schema names, tenant by tenant.
 */
export async function createTenantSchemas(db: AnyKysely, tenants: number): Promise<string[]> {
  const schemas: string[] = [];
  for (let t = 0; t < tenants; t++) {
    const schema = `${TENANT_PREFIX}${String(t).padStart(2, '0')}`;
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`
      CREATE TABLE ${sql.id(schema, 'users')} (
        id serial PRIMARY KEY, slug varchar NOT NULL,
        "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
      )`.execute(db);
    for (const table of ['events', 'groups']) await sql`CREATE TABLE ${sql.id(schema, table)} (id serial PRIMARY KEY, "matrixRoomId" varchar)`.execute(db);
    schemas.push(schema);
  }
  return schemas;
}

/** The preferences every generated app row carries (a realistic row width). */
export const ROW_PREFERENCES = '{"theme": "dark", "matrix": {"connected": true}}';

/** The openmeet layout (as user-creds' preset expects it), one `tenant_bench_NN` schema per tenant, rows spread round-robin. */
async function load(db: AnyKysely, tenants: number, tokens: readonly string[], owners: readonly string[]): Promise<void> {
  const schemas = await createTenantSchemas(db, tenants);
  for (const [t, schema] of schemas.entries()) {
    const slugs: string[] = [];
    const userIds: string[] = [];
    const rowTokens: string[] = [];
    const devices: string[] = [];
    for (let i = t; i < tokens.length; i += tenants) {
      slugs.push(`user-${i}`);
      userIds.push(owners[i] as string);
      rowTokens.push(tokens[i] as string);
      // Admin login-as mints tokens without a device; the column only has to be filled (doctor does not compare it).
      devices.push(`BENCH${String(i).padStart(6, '0')}`);
    }
    await sql`
      INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
      SELECT s, u, a, d, ${ROW_PREFERENCES}::jsonb
      FROM unnest(${slugs}::text[], ${userIds}::text[], ${rowTokens}::text[], ${devices}::text[]) AS r(s, u, a, d)`.execute(db);
  }
  await sql`VACUUM ANALYZE`.execute(db);
}

/** Runs doctor once in a forked Node process with a fresh heap; returns its timing, counts and RSS samples. */
export async function doctorChild(input: DoctorChildInput, heapFlags: readonly string[] = []): Promise<DoctorChildResult> {
  const child = fork(fileURLToPath(new URL('./doctor-bench-child.ts', import.meta.url)), [], {
    execArgv: [...process.execArgv, ...heapFlags],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise<DoctorChildResult>((resolve, reject) => {
    let result: DoctorChildResult | undefined;
    child.on('message', (message) => {
      result = message as DoctorChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`doctor child exited with ${code}`))));
    child.send(input);
  });
}

const CLI_BIN = fileURLToPath(new URL('../../../apps/cli/bin/run.js', import.meta.url));

/** The Node flags of the bin's `#!/usr/bin/env -S node <flags>` line: what the installed `matrix-reset` runs with. */
export function shebangNodeFlags(binPath: string): string[] {
  const first = readFileSync(binPath, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node((?: [^ ]+)*)$/.exec(first.trimEnd());
  return match?.[1]?.trim().split(' ').filter(Boolean) ?? [];
}
const MEMORY_HOOK = fileURLToPath(new URL('./cli-memory-hook.ts', import.meta.url));

interface CliDoctorInput {
  synapseUrl: string;
  serverName: string;
  adminLocalpart: string;
  adminUserId: string;
  adminToken: string;
  databaseUrl: string;
  concurrency: number;
}

/**
 * Runs `matrix-reset doctor --json` as an operator would, against a config with no kubernetes: section and the admin
 * token in a `.env` file (mode 0600, in a private temporary directory): neither the token nor the database URL is
 * in argv; the URL is in the child's environment (`env:DATABASE_URL`), as the CLI documents.
 */
async function cliDoctorRun(input: CliDoctorInput, count: number, nodeFlags: readonly string[] = []): Promise<CliDoctorRun> {
  const dir = await mkdtemp(join(tmpdir(), 'mr-bench-cli-'));
  try {
    const config = join(dir, 'matrix-reset.yaml');
    const memoryFile = join(dir, 'memory.json');
    await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${input.adminToken}\nMATRIX_ADMIN_USER=${input.adminUserId}\n`, { mode: 0o600 });
    await writeFile(
      config,
      [
        'version: 1',
        'environments:',
        '  bench:',
        '    synapse:',
        `      url: ${input.synapseUrl}`,
        `      serverName: ${input.serverName}`,
        `      adminUser: ${input.adminLocalpart}`,
        '    adminToken:',
        '      - { token: "dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN", user: "dotenv:.env#MATRIX_ADMIN_USER" }',
        '    appDatabase:',
        '      url: env:DATABASE_URL',
        `      layout: { preset: openmeet, schemas: { like: ["${TENANT_LIKE.replaceAll('\\', '\\\\')}"] } }`,
        '',
      ].join('\n'),
    );
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      // As the installed bin runs: with its shebang's flags, then any extra ones.
      const child = spawn(process.execPath, [...shebangNodeFlags(CLI_BIN), ...nodeFlags, '--import', MEMORY_HOOK, CLI_BIN, 'doctor', '--config', config, '--json', '--concurrency', String(input.concurrency)], {
        cwd: dir,
        env: { ...process.env, DATABASE_URL: input.databaseUrl, MATRIX_RESET_BENCH_MEMORY_FILE: memoryFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`matrix-reset doctor exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const report = JSON.parse(stdout) as { examined: number; totals: Record<string, number>; adminToken: string; recommendation: { action: string } };
    if (report.examined !== count || report.totals['valid'] !== count || report.adminToken !== 'valid') {
      throw new Error(`matrix-reset doctor examined ${report.examined} of ${count}, ${report.totals['valid']} valid, admin token ${report.adminToken}: the figures would be meaningless`);
    }
    const memory = JSON.parse(await readFile(memoryFile, 'utf8')) as CliMemoryRecord;
    return { seconds, cpuSeconds: memory.cpuSeconds, maxRssMb: memory.maxRssMb, examined: report.examined, action: report.recommendation.action, heavyModules: memory.heavyModules };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function memoryOf(run: DoctorChildResult): DoctorMemory {
  return {
    startMb: run.rssStartMb,
    peakMb: run.rssPeakMb,
    growthMb: run.rssPeakMb - run.rssStartMb,
    endHeapTotalMb: run.endMb.heapTotal,
    endHeapUsedMb: run.endMb.heapUsed,
    endExternalMb: run.endMb.external,
  };
}

/** Aborts unless doctor classified every stored credential as valid: otherwise the rate would not be of whoami checks. */
function requireAllValid(result: DoctorChildResult, count: number): void {
  const { valid, ...others } = result.totals;
  const notValid = Object.entries(others).filter(([, n]) => n > 0);
  if (result.examined !== count || valid !== count || notValid.length > 0 || result.adminToken !== 'valid') {
    throw new Error(
      `doctor examined ${result.examined} of ${count} credentials, ${valid} valid` +
        `${notValid.length ? `, ${notValid.map(([k, n]) => `${n} ${k}`).join(', ')}` : ''}, admin token ${result.adminToken}: the figures would be meaningless`,
    );
  }
}

/**
 * Measures, in one run on the same Synapse: reset-core's `doctor()` over `credentials` real stored credentials in an
 * `openmeet` layout (in a forked child, its RSS sampled every 10 ms) against autocannon hitting whoami directly with
 * the same tokens and as many connections. The app database is one of its own, dropped at the end.
 *
 * @example
 * const result = await runDoctorBench({ credentials: 10_000, concurrency: 32, rounds: 3 });
 * console.log(result.ratio, result.peakRssMb);
 */
export async function runDoctorBench(options: DoctorBenchOptions = {}): Promise<DoctorBenchResult> {
  const count = options.credentials ?? 10_000;
  const concurrency = options.concurrency ?? 32;
  const roundsPerContender = options.rounds ?? 3;
  const tenants = Math.min(options.tenants ?? 10, count);
  const log = options.log ?? (() => undefined);
  const synapse = await benchSynapse();
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  try {
    const database = await benchDatabase('mr_bench_doctor');
    const db = postgresKysely({ connectionString: database.url, max: 2, applicationName: 'matrix-reset-bench' });
    try {
      log(`minting ${count} tokens on ${synapse.url}`);
      const mintStarted = performance.now();
      const { tokens, owners } = await mintTokens({ baseUrl: synapse.url, sharedSecret: synapse.sharedSecret, dispatcher, count });
      const mintSeconds = (performance.now() - mintStarted) / 1000;
      log(`minted in ${mintSeconds.toFixed(1)} s`);
      // doctor's own admin (its admin check and user lookups need one); the token goes to the child over IPC only.
      const adminLocalpart = `bench-doctor-admin-${randomBytes(4).toString('hex')}`;
      const registered = await createSynapseClient({ baseUrl: synapse.url, dispatcher }).registerWithSharedSecret({
        sharedSecret: synapse.sharedSecret,
        username: adminLocalpart,
        password: randomBytes(18).toString('base64url'),
        admin: true,
      });
      if (!registered.accessToken) throw new Error('shared-secret registration of the doctor admin returned no token');
      const admin = createSynapseClient({ baseUrl: synapse.url, dispatcher, accessToken: registered.accessToken });
      const { serverVersion } = await admin.admin.serverVersion();

      log(`loading ${count} credentials into ${tenants} tenant schemas of ${database.name}`);
      const loadStarted = performance.now();
      await load(db, tenants, tokens, owners);
      const loadSeconds = (performance.now() - loadStarted) / 1000;

      const input: DoctorChildInput = {
        synapseUrl: synapse.url,
        serverName: synapse.serverName,
        adminToken: registered.accessToken,
        databaseUrl: database.url,
        like: TENANT_LIKE,
        concurrency,
      };

      // Warm-up, unmeasured: a full doctor pass primes Synapse's token cache and Postgres's buffers (and checks the
      // fixture: every credential must come out valid), then a short direct pass opens autocannon's connections.
      log('warm-up: doctor over every credential, then direct over 1,000');
      requireAllValid(await doctorChild(input), count);
      const warmDirect = await directRound(synapse.url, tokens.slice(0, Math.min(1000, count)), concurrency);
      if (warmDirect.failures > 0) throw new Error(`${warmDirect.failures} whoami calls failed in the direct warm-up`);

      const cliInput: CliDoctorInput = {
        synapseUrl: synapse.url,
        serverName: synapse.serverName,
        adminLocalpart,
        adminUserId: registered.userId,
        adminToken: registered.accessToken,
        databaseUrl: database.url,
        concurrency,
      };
      const cli: CliDoctorRun[] = [];
      const rounds: DoctorRound[] = [];
      const memory: DoctorMemory[] = [];
      const pairRatios: number[] = [];
      for (let i = 0; i < roundsPerContender; i++) {
        const direct = await directRound(synapse.url, tokens, concurrency);
        if (direct.failures > 0 || direct.requests !== count) {
          throw new Error(`direct round: ${direct.requests} requests, ${direct.failures} failed: the figures would be meaningless`);
        }
        rounds.push({ contender: 'direct', credentials: direct.requests, seconds: direct.seconds, perSecond: direct.perSecond });
        log(`direct ${direct.requests} whoami in ${direct.seconds.toFixed(2)} s = ${direct.perSecond.toFixed(0)}/s`);

        const run = await doctorChild(input);
        requireAllValid(run, count);
        const perSecond = run.examined / run.seconds;
        rounds.push({ contender: 'doctor', credentials: run.examined, seconds: run.seconds, perSecond });
        memory.push(memoryOf(run));
        pairRatios.push(perSecond / direct.perSecond);
        log(
          `doctor ${run.examined} credentials (all valid) in ${run.seconds.toFixed(2)} s = ${perSecond.toFixed(0)}/s; ` +
            `RSS ${run.rssStartMb.toFixed(0)} MB -> peak ${run.rssPeakMb.toFixed(0)} MB`,
        );
        const command = await cliDoctorRun(cliInput, count);
        cli.push(command);
        log(
          `matrix-reset doctor --json: ${command.examined} valid in ${command.seconds.toFixed(2)} s (process start to exit), CPU ${command.cpuSeconds.toFixed(2)} s, ` +
            `peak RSS ${command.maxRssMb.toFixed(0)} MB, heavy modules loaded: ${command.heavyModules.join(', ') || 'none'}`,
        );
      }
      log(`doctor once more, heap capped (${CAPPED_HEAP_FLAGS.join(' ')})`);
      const cappedRun = await doctorChild(input, CAPPED_HEAP_FLAGS);
      requireAllValid(cappedRun, count);
      const capped = { flags: CAPPED_HEAP_FLAGS, seconds: cappedRun.seconds, perSecond: cappedRun.examined / cappedRun.seconds, memory: memoryOf(cappedRun) };
      log(`doctor (capped) in ${capped.seconds.toFixed(2)} s = ${capped.perSecond.toFixed(0)}/s; RSS ${capped.memory.startMb.toFixed(0)} MB -> peak ${capped.memory.peakMb.toFixed(0)} MB`);

      const variants: DoctorBenchResult['variants'] = [];
      for (const flags of options.heapVariants ?? []) {
        const run = await doctorChild(input, flags);
        requireAllValid(run, count);
        const command = await cliDoctorRun(cliInput, count, flags);
        variants.push({ flags: [...flags], seconds: run.seconds, perSecond: run.examined / run.seconds, memory: memoryOf(run), cli: command });
        log(
          `with ${flags.join(' ')}: doctor() ${(run.examined / run.seconds).toFixed(0)}/s, RSS ${run.rssStartMb.toFixed(0)} -> ${run.rssPeakMb.toFixed(0)} MB; ` +
            `matrix-reset doctor ${command.seconds.toFixed(2)} s, peak RSS ${command.maxRssMb.toFixed(0)} MB`,
        );
      }

      const medianDirectPerSecond = median(rounds.filter((r) => r.contender === 'direct').map((r) => r.perSecond));
      const medianDoctorPerSecond = median(rounds.filter((r) => r.contender === 'doctor').map((r) => r.perSecond));
      const ratio = medianDoctorPerSecond / medianDirectPerSecond;
      const peakRssMb = Math.max(...memory.map((m) => m.peakMb));
      const cliPeakRssMb = Math.max(...cli.map((c) => c.maxRssMb));
      return {
        credentials: count,
        tenants,
        concurrency,
        synapseVersion: serverVersion,
        mintSeconds,
        loadSeconds,
        rounds,
        memory,
        medianDirectPerSecond,
        medianDoctorPerSecond,
        medianPairRatio: median(pairRatios),
        ratio,
        peakRssMb,
        capped,
        variants,
        cli,
        cliPeakRssMb,
        goals: { ratio: ratio >= 0.9, peakRss: peakRssMb < 150, cliPeakRss: cliPeakRssMb < 150 },
      };
    } finally {
      await db.destroy();
      await database.drop();
    }
  } finally {
    await dispatcher.close();
    await synapse.stop();
  }
}

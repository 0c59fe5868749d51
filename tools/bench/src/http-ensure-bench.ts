import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { sql } from 'kysely';
import { generateServiceToken } from '@matrix-reset/reset-core';
import { createSynapseClient, mapConcurrent, type SynapseClient } from '@matrix-reset/synapse-admin';
import { postgresKysely, type AnyKysely } from '@matrix-reset/user-creds';
import { benchDatabase } from './bench-postgres.ts';
import { benchSynapse } from './bench-services.ts';
import { median } from './synapse-whoami-bench.ts';

/** The service's real entry point, run as an operator runs it (a child process, from source in a checkout). */
const SERVICE_BIN = fileURLToPath(new URL('../../../apps/http/bin/matrix-reset-http.js', import.meta.url));
const WHOAMI = '/_matrix/client/v3/account/whoami';
const SCHEMA = 'tenant_bench';

export interface HttpEnsureBenchOptions {
  /** Valid-token path: calls per measured round and contender (default 1,000). */
  calls?: number;
  /** Valid-token path: client concurrencies to measure at, each with its own keep-alive pools (default 1 and 16). */
  concurrencies?: readonly number[];
  /** Valid-token path: measured rounds per contender and concurrency, interleaved (default 5). */
  latencyRounds?: number;
  /** Re-provisioning: users whose tokens died, per measured round, kind and contender (default 500). */
  users?: number;
  /** Re-provisioning: concurrency of both contenders (default 16). */
  reprovisionConcurrency?: number;
  /** Re-provisioning: measured rounds per contender and kind, interleaved (default 3). */
  reprovisionRounds?: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

/** Client-side latency of one contender at one concurrency, over every measured round. */
export interface LatencyFigures {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** p50 of each round, in order (to see drift between rounds). */
  roundP50Ms: number[];
}

export interface LatencyComparison {
  concurrency: number;
  ensure: LatencyFigures;
  whoami: LatencyFigures;
  /** ensure p50 - whoami p50. */
  overheadP50Ms: number;
  /** ensure p99 - whoami p99. */
  overheadP99Ms: number;
  /** CPU time (user + system) the service process spent per ensure call in the measured rounds; undefined without /proc. */
  serviceCpuMsPerCall: number | undefined;
  /**
   * Postgres transactions committed in the app database per ensure call (`pg_stat_database.xact_commit`, over the
   * warm-up and measured calls at this concurrency): on this path every statement runs on its own, so this is the
   * number of statements one call sends.
   */
  statementsPerCall: number;
}

export interface ThroughputRound {
  contender: 'service' | 'direct';
  calls: number;
  seconds: number;
  perSecond: number;
  /** Service rounds: the service process's CPU time per call; undefined without /proc. */
  serviceCpuMsPerCall?: number | undefined;
}

export interface ReprovisionComparison {
  /** login-as: the Matrix users exist, their stored tokens are dead; created: the Matrix users do not exist. */
  kind: 'login-as' | 'created';
  users: number;
  concurrency: number;
  /** The Synapse calls one re-provisioning makes, in order (what the direct contender sends). */
  sequence: string[];
  rounds: ThroughputRound[];
  medianServicePerSecond: number;
  medianDirectPerSecond: number;
  /** median service / median direct. */
  ratio: number;
}

export interface HttpEnsureBenchResult {
  synapseVersion: string;
  /** Users with valid stored tokens the latency rounds cycle through. */
  validUsers: number;
  latency: LatencyComparison[];
  reprovision: ReprovisionComparison[];
  goals: { overheadP50AtConcurrency1: boolean };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function figures(rounds: readonly number[][]): LatencyFigures {
  const all = rounds.flat().sort((a, b) => a - b);
  return {
    calls: all.length,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    meanMs: all.reduce((a, b) => a + b, 0) / all.length,
    roundP50Ms: rounds.map((round) => percentile([...round].sort((a, b) => a - b), 50)),
  };
}

/** Runs `count` jobs through `work` on `concurrency` workers; returns each job's wall time in ms. */
async function timedPool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const at = next++;
        const t0 = performance.now();
        await work(at);
        latencies[at] = performance.now() - t0;
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** One HTTP call with undici on `dispatcher`; the body read to its end; throws unless the status is `expect`. */
async function call(dispatcher: Agent, url: string, options: { method?: 'GET' | 'POST' | 'PUT'; token: string; body?: string; expect: number; mustContain?: string }): Promise<void> {
  const response = await request(url, {
    dispatcher,
    method: options.method ?? 'GET',
    headers: { authorization: `Bearer ${options.token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.body.text();
  if (response.statusCode !== options.expect || (options.mustContain !== undefined && !text.includes(options.mustContain))) {
    const path = new URL(url).pathname.replace(/\/users\/[^/]+/, '/users/<id>');
    throw new Error(`${options.method ?? 'GET'} ${path} answered ${response.statusCode} (expected ${options.expect}${options.mustContain === undefined ? '' : ` with ${options.mustContain}`}): ${text.slice(0, 200)}`);
  }
}

interface RunningServiceProcess {
  url: string;
  /** CPU time (user + system) the process has used so far, in ms, from /proc; undefined where there is none. */
  cpuMs(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms on Linux). */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Starts `apps/http/bin/matrix-reset-http.js` on `configPath` (port 0) and waits for its `listening` line. */
async function startServiceProcess(configPath: string, databaseUrl: string): Promise<RunningServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, [SERVICE_BIN], {
    env: { ...process.env, MATRIX_RESET_CONFIG: configPath, MATRIX_RESET_HTTP_PORT: '0', MATRIX_RESET_HTTP_HOST: '127.0.0.1', DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Keep only the start of the output (for a failure message); the request log of a run is long.
  let head = '';
  const keep = (chunk: string) => {
    if (head.length < 16_384) head += chunk;
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within 30 s: ${head}`)), 30_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(head);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve(match[1]);
    };
    child.stdout?.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${String(code)}) before listening: ${head}`));
    });
  });
  return {
    url,
    cpuMs: () => processCpuMs(child.pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Inserts OpenMeet rows (`slug`, `matrixUserId`, `matrixAccessToken`) and returns their ids in order. */
async function insertRows(db: AnyKysely, rows: readonly { userId: string; token: string }[]): Promise<string[]> {
  const ids: string[] = [];
  for (let at = 0; at < rows.length; at += 1000) {
    const batch = rows.slice(at, at + 1000);
    const result = await sql<{ id: number }>`
      INSERT INTO ${sql.id(SCHEMA, 'users')} (slug, "matrixUserId", "matrixAccessToken")
      VALUES ${sql.join(batch.map((row) => sql`(${row.userId.slice(1, row.userId.indexOf(':'))}, ${row.userId}, ${row.token})`))}
      RETURNING id`.execute(db);
    ids.push(...result.rows.map((row) => String(row.id)));
  }
  return ids;
}

async function forEachConcurrent<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for await (const r of mapConcurrent(items, concurrency, work)) if (r.status === 'rejected') throw r.reason;
}

/**
 * Transactions committed in this database so far. An idle backend reports its counts to the statistics system at
 * most 10 s later (PGSTAT_IDLE_INTERVAL), so this waits 11 s first; it is itself one transaction.
 */
async function committedTransactions(db: AnyKysely): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const result = await sql<{ n: string }>`SELECT xact_commit::text AS n FROM pg_catalog.pg_stat_database WHERE datname = current_database()`.execute(db);
  return Number(result.rows[0]?.n ?? Number.NaN);
}

const deadToken = () => `syt_dead_${randomBytes(15).toString('base64url')}`;

/**
 * ensure-credentials through the HTTP service (one instance, a child process running `bin/matrix-reset-http.js`)
 * against the same Synapse calls made directly, in one run:
 *
 * - valid-token path: `POST /v1/users/{id}/matrix-credentials` for users whose stored token works, against a bare
 *   `whoami` with the same tokens, same concurrency, each on its own keep-alive undici Agent; client-side latency,
 *   p50/p99 and the p50 overhead (goal <= 2 ms at concurrency 1);
 * - re-provisioning: ensure for users whose tokens died (Matrix user present: login-as; absent: created) against
 *   the Synapse calls ensure makes for them, sent directly at the same concurrency; calls per second and the ratio.
 *
 * @example
 * const r = await runHttpEnsureBench({ calls: 500, users: 200, latencyRounds: 3, reprovisionRounds: 1 });
 * console.log(r.latency[0]?.overheadP50Ms, r.reprovision[0]?.ratio);
 */
export async function runHttpEnsureBench(options: HttpEnsureBenchOptions = {}): Promise<HttpEnsureBenchResult> {
  const calls = options.calls ?? 1000;
  const concurrencies = options.concurrencies ?? [1, 16];
  const latencyRounds = options.latencyRounds ?? 5;
  const usersPerRound = options.users ?? 500;
  const reConcurrency = options.reprovisionConcurrency ?? 16;
  const reRounds = options.reprovisionRounds ?? 3;
  const log = options.log ?? (() => undefined);
  const run = randomBytes(3).toString('hex');

  const synapse = await benchSynapse();
  let database: Awaited<ReturnType<typeof benchDatabase>> | undefined;
  let db: AnyKysely | undefined;
  let service: RunningServiceProcess | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'mr-bench-http-'));
  const setupAgent = new Agent({ connections: 16 });
  try {
    database = await benchDatabase('mr_bench_http_ensure');
    db = postgresKysely({ connectionString: database.url, max: 4 });
    const serverName = synapse.serverName;

    // An admin (shared-secret registration), in a .env the config reads, as `matrix-reset local-bootstrap` writes it.
    const plain = createSynapseClient({ baseUrl: synapse.url, dispatcher: setupAgent });
    const registered = await plain.registerWithSharedSecret({ sharedSecret: synapse.sharedSecret, username: `bench-http-admin-${run}`, password: randomBytes(18).toString('base64url'), admin: true });
    if (registered.accessToken === undefined) throw new Error('shared-secret registration of the bench admin returned no token');
    const adminToken = registered.accessToken;
    const admin: SynapseClient = plain.withAccessToken(adminToken);
    const { serverVersion } = await admin.admin.serverVersion();
    await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${adminToken}\nMATRIX_ADMIN_USER=${registered.userId}\n`, { mode: 0o600 });
    const generated = generateServiceToken({ name: 'bench', scopes: ['credentials:ensure', 'credentials:read'] });
    const serviceToken = generated.token.reveal();
    await sql`CREATE SCHEMA ${sql.id(SCHEMA)}`.execute(db);
    await sql`CREATE TABLE ${sql.id(SCHEMA, 'users')} (
      id serial PRIMARY KEY, slug varchar NOT NULL,
      "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb)`.execute(db);
    const configPath = join(dir, 'matrix-reset.yaml');
    await writeFile(
      configPath,
      [
        'version: 1',
        'environments:',
        '  bench:',
        '    synapse:',
        `      url: ${synapse.url}`,
        `      serverName: ${serverName}`,
        '    adminToken:',
        '      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }',
        '    appDatabase:',
        '      url: env:DATABASE_URL',
        `      layout: { preset: openmeet, schemas: { names: [${SCHEMA}] } }`,
        'service:',
        '  tokens:',
        `    - { name: ${generated.entry.name}, sha256: ${generated.entry.sha256}, scopes: [${generated.entry.scopes.join(', ')}] }`,
        // One client makes every call: the per-token limit must not be what is measured.
        '  rateLimit: { perMinute: 100000000, burst: 100000 }',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    service = await startServiceProcess(configPath, database.url);
    log(`service listening on ${service.url} (Synapse ${serverVersion} at ${synapse.url})`);

    // ---- valid-token path -------------------------------------------------------------------------------------
    const validCount = Math.min(200, calls);
    const valid = Array.from({ length: validCount }, (_, i) => ({ userId: `@bhv${run}x${i}:${serverName}`, token: '' }));
    await forEachConcurrent(valid, 8, async (user) => {
      await admin.admin.upsertUser(user.userId, {});
      user.token = (await admin.admin.loginAsUser(user.userId)).accessToken;
    });
    const validIds = await insertRows(db, valid);
    log(`${validCount} users with valid tokens stored`);

    const latency: LatencyComparison[] = [];
    let commitsBefore = await committedTransactions(db);
    for (const concurrency of concurrencies) {
      const serviceAgent = new Agent({ connections: concurrency });
      const synapseAgent = new Agent({ connections: concurrency });
      try {
        const ensureRound = (n: number) =>
          timedPool(n, concurrency, (i) =>
            call(serviceAgent, `${service!.url}/v1/users/${validIds[i % validCount]}/matrix-credentials`, { method: 'POST', token: serviceToken, body: '{}', expect: 200, mustContain: '"source":"kept"' }),
          );
        const whoamiRound = (n: number) => timedPool(n, concurrency, (i) => call(synapseAgent, synapse.url + WHOAMI, { token: valid[i % validCount]!.token, expect: 200 }));
        // Warm-up, unmeasured: every token through both (Synapse's token cache, the service's JIT and pools).
        const warmUpCalls = Math.max(validCount, 200);
        await ensureRound(warmUpCalls);
        await whoamiRound(warmUpCalls);
        const ensureRounds: number[][] = [];
        const whoamiRounds: number[][] = [];
        let serviceCpuMs: number | undefined = (await service.cpuMs()) === undefined ? undefined : 0;
        for (let r = 0; r < latencyRounds; r++) {
          // Alternate which goes first, so a slow drift of the machine does not favour one.
          const order = r % 2 === 0 ? (['ensure', 'whoami'] as const) : (['whoami', 'ensure'] as const);
          for (const contender of order) {
            const cpuBefore = contender === 'ensure' ? await service.cpuMs() : undefined;
            const { latencies } = contender === 'ensure' ? await ensureRound(calls) : await whoamiRound(calls);
            const cpuAfter = contender === 'ensure' ? await service.cpuMs() : undefined;
            if (serviceCpuMs !== undefined && cpuBefore !== undefined && cpuAfter !== undefined) serviceCpuMs += cpuAfter - cpuBefore;
            (contender === 'ensure' ? ensureRounds : whoamiRounds).push(latencies);
          }
        }
        const commitsAfter = await committedTransactions(db);
        const statementsPerCall = (commitsAfter - commitsBefore - 1) / (warmUpCalls + calls * latencyRounds);
        commitsBefore = commitsAfter;
        const ensure = figures(ensureRounds);
        const whoami = figures(whoamiRounds);
        const comparison = { concurrency, ensure, whoami, overheadP50Ms: ensure.p50Ms - whoami.p50Ms, overheadP99Ms: ensure.p99Ms - whoami.p99Ms, serviceCpuMsPerCall: serviceCpuMs === undefined ? undefined : serviceCpuMs / (calls * latencyRounds), statementsPerCall };
        latency.push(comparison);
        log(
          `valid-token path, concurrency ${concurrency}: ensure p50 ${ensure.p50Ms.toFixed(2)} ms p99 ${ensure.p99Ms.toFixed(2)} ms; ` +
            `whoami p50 ${whoami.p50Ms.toFixed(2)} ms p99 ${whoami.p99Ms.toFixed(2)} ms; p50 overhead ${comparison.overheadP50Ms.toFixed(2)} ms; service CPU ${comparison.serviceCpuMsPerCall?.toFixed(2) ?? '?'} ms/call; ${comparison.statementsPerCall.toFixed(2)} SQL statements/call`,
        );
      } finally {
        await serviceAgent.close();
        await synapseAgent.close();
      }
    }

    // ---- re-provisioning ----------------------------------------------------------------------------------------
    // Every round gets users of its own (a re-provisioned user is no longer dead). Prepared before any round is timed:
    // for login-as, the Matrix users exist (created with the admin API) and the stored token is one Synapse does not
    // know (as a logged-out token: logout deletes it); for created, neither exists.
    const reprovision: ReprovisionComparison[] = [];
    for (const kind of ['login-as', 'created'] as const) {
      const plan = Array.from({ length: reRounds }, (_, r) =>
        (['service', 'direct'] as const).map((contender) => ({
          contender,
          users: Array.from({ length: usersPerRound }, (_, i) => ({ userId: `@bh${kind === 'created' ? 'c' : 'l'}${run}r${r}${contender[0]}${i}:${serverName}`, token: deadToken() })),
        })),
      );
      if (kind === 'login-as') {
        const all = plan.flat().flatMap((round) => round.users);
        const started = performance.now();
        await forEachConcurrent(all, 8, (user) => admin.admin.upsertUser(user.userId, {}));
        log(`${kind}: ${all.length} Matrix users created in ${((performance.now() - started) / 1000).toFixed(1)} s (setup)`);
      }
      const serviceIds = new Map<string, string[]>();
      for (const [r, rounds] of plan.entries()) {
        const forService = rounds.find((round) => round.contender === 'service')!;
        serviceIds.set(String(r), await insertRows(db, forService.users));
      }

      const serviceAgent = new Agent({ connections: reConcurrency });
      const synapseAgent = new Agent({ connections: reConcurrency });
      const sequence =
        kind === 'login-as'
          ? ['whoami (dead token): 401', 'whoami (dead token, under the lock): 401', 'GET admin user: 200', 'POST admin login-as: 200']
          : ['whoami (dead token): 401', 'whoami (dead token, under the lock): 401', 'GET admin user: 404', 'PUT admin user: 201', 'POST admin login-as: 200'];
      const direct = async (user: { userId: string; token: string }) => {
        const adminUser = `${synapse.url}/_synapse/admin/v2/users/${encodeURIComponent(user.userId)}`;
        await call(synapseAgent, synapse.url + WHOAMI, { token: user.token, expect: 401 });
        await call(synapseAgent, synapse.url + WHOAMI, { token: user.token, expect: 401 });
        await call(synapseAgent, adminUser, { token: adminToken, expect: kind === 'login-as' ? 200 : 404 });
        if (kind === 'created') await call(synapseAgent, adminUser, { method: 'PUT', token: adminToken, body: '{}', expect: 201 });
        await call(synapseAgent, `${synapse.url}/_synapse/admin/v1/users/${encodeURIComponent(user.userId)}/login`, { method: 'POST', token: adminToken, body: '{}', expect: 200 });
      };
      const results: ThroughputRound[] = [];
      try {
        for (const [r, rounds] of plan.entries()) {
          const ordered = r % 2 === 0 ? rounds : [...rounds].reverse();
          for (const round of ordered) {
            const ids = serviceIds.get(String(r))!;
            const cpuBefore = round.contender === 'service' ? await service.cpuMs() : undefined;
            const { seconds } =
              round.contender === 'service'
                ? await timedPool(usersPerRound, reConcurrency, (i) =>
                    call(serviceAgent, `${service!.url}/v1/users/${ids[i]}/matrix-credentials`, { method: 'POST', token: serviceToken, body: '{}', expect: 200, mustContain: `"source":"${kind}"` }),
                  )
                : await timedPool(usersPerRound, reConcurrency, (i) => direct(round.users[i]!));
            const cpuAfter = round.contender === 'service' ? await service.cpuMs() : undefined;
            const serviceCpuMsPerCall = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / usersPerRound;
            const result: ThroughputRound = { contender: round.contender, calls: usersPerRound, seconds, perSecond: usersPerRound / seconds, ...(round.contender === 'service' ? { serviceCpuMsPerCall } : {}) };
            results.push(result);
            log(`${kind} ${round.contender.padEnd(7)} ${usersPerRound} users in ${seconds.toFixed(2)} s = ${result.perSecond.toFixed(1)}/s${serviceCpuMsPerCall === undefined ? '' : `, service CPU ${serviceCpuMsPerCall.toFixed(2)} ms/call`}`);
          }
        }
      } finally {
        await serviceAgent.close();
        await synapseAgent.close();
      }
      const medianServicePerSecond = median(results.filter((x) => x.contender === 'service').map((x) => x.perSecond));
      const medianDirectPerSecond = median(results.filter((x) => x.contender === 'direct').map((x) => x.perSecond));
      reprovision.push({ kind, users: usersPerRound, concurrency: reConcurrency, sequence, rounds: results, medianServicePerSecond, medianDirectPerSecond, ratio: medianServicePerSecond / medianDirectPerSecond });
    }

    const first = latency.find((x) => x.concurrency === 1);
    return { synapseVersion: serverVersion, validUsers: validCount, latency, reprovision, goals: { overheadP50AtConcurrency1: first !== undefined && first.overheadP50Ms <= 2 } };
  } finally {
    await service?.stop();
    await db?.destroy();
    await setupAgent.close();
    await rm(dir, { recursive: true, force: true });
    await database?.drop();
    await synapse.stop();
  }
}

/** Usage lines for `bench` (cli.ts lists them). */
export const HTTP_ENSURE_USAGE = `  http-ensure      ensure-credentials through the HTTP service (one instance, a child process) vs the same Synapse
                   calls made directly, one run: valid-token latency (p50/p99, overhead) vs bare whoami; re-provisioning
                   throughput (login-as and created) vs the same call sequence sent to Synapse
                   --calls N per latency round (1000)  --concurrency N (repeatable; 1 and 16)  --latency-rounds N (5)
                   --users N per re-provisioning round (500)  --reprovision-concurrency N (16)  --reprovision-rounds N (3)  --json`;

/** `bench http-ensure [options]`: runs {@link runHttpEnsureBench} and prints a table and a JSON summary (or JSON only). */
export async function httpEnsureCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      calls: { type: 'string', default: '1000' },
      concurrency: { type: 'string', multiple: true, default: ['1', '16'] },
      'latency-rounds': { type: 'string', default: '5' },
      users: { type: 'string', default: '500' },
      'reprovision-concurrency': { type: 'string', default: '16' },
      'reprovision-rounds': { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const positive = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} takes a positive whole number, not '${value}'`);
    return n;
  };
  const r = await runHttpEnsureBench({
    calls: positive('calls', values.calls),
    concurrencies: values.concurrency.map((c) => positive('concurrency', c)),
    latencyRounds: positive('latency-rounds', values['latency-rounds']),
    users: positive('users', values.users),
    reprovisionConcurrency: positive('reprovision-concurrency', values['reprovision-concurrency']),
    reprovisionRounds: positive('reprovision-rounds', values['reprovision-rounds']),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const ms = (x: number) => x.toFixed(2).padStart(8);
  const rate = (x: number) => x.toFixed(1).padStart(10);
  const summary = {
    synapseVersion: r.synapseVersion,
    latency: r.latency.map((x) => ({ concurrency: x.concurrency, ensureP50Ms: x.ensure.p50Ms, ensureP99Ms: x.ensure.p99Ms, whoamiP50Ms: x.whoami.p50Ms, whoamiP99Ms: x.whoami.p99Ms, overheadP50Ms: x.overheadP50Ms, serviceCpuMsPerCall: x.serviceCpuMsPerCall, statementsPerCall: x.statementsPerCall })),
    reprovision: r.reprovision.map((x) => ({ kind: x.kind, users: x.users, concurrency: x.concurrency, servicePerSecond: x.medianServicePerSecond, directPerSecond: x.medianDirectPerSecond, ratio: x.ratio })),
    goals: r.goals,
  };
  process.stdout.write(
    [
      `http-ensure: one service instance (bin/matrix-reset-http.js), Synapse ${r.synapseVersion}, client-side times (undici keep-alive)`,
      '',
      `valid-token path: ${r.validUsers} users with working tokens; ${r.latency[0]?.ensure.calls ?? 0} calls per contender and concurrency`,
      ['concurrency'.padEnd(12), 'ensure p50'.padStart(11), 'p99'.padStart(8), 'whoami p50'.padStart(11), 'p99'.padStart(8), 'overhead p50'.padStart(13), 'p99'.padStart(8), 'svc CPU/call'.padStart(13), 'SQL/call'.padStart(9)].join(''),
      ...r.latency.map((x) =>
        [String(x.concurrency).padEnd(12), ms(x.ensure.p50Ms).padStart(11), ms(x.ensure.p99Ms), ms(x.whoami.p50Ms).padStart(11), ms(x.whoami.p99Ms), ms(x.overheadP50Ms).padStart(13), ms(x.overheadP99Ms), (x.serviceCpuMsPerCall === undefined ? '?' : x.serviceCpuMsPerCall.toFixed(2)).padStart(13), x.statementsPerCall.toFixed(2).padStart(9)].join(''),
      ),
      `  (ms) p50 overhead <= 2 ms at concurrency 1: ${r.goals.overheadP50AtConcurrency1 ? 'met' : 'NOT met'}`,
      '',
      're-provisioning after a reset (medians of the rounds, calls/s):',
      ['kind'.padEnd(10), 'users'.padStart(7), 'conc.'.padStart(7), 'service'.padStart(10), 'direct'.padStart(10), 'ratio'.padStart(8), '  direct sequence'].join(''),
      ...r.reprovision.map((x) =>
        [x.kind.padEnd(10), String(x.users).padStart(7), String(x.concurrency).padStart(7), rate(x.medianServicePerSecond), rate(x.medianDirectPerSecond), x.ratio.toFixed(3).padStart(8), `  ${x.sequence.join(', ')}`].join(''),
      ),
      ...r.reprovision.map((x) => `  ${x.kind} per round: ${x.rounds.map((y) => `${y.contender} ${y.perSecond.toFixed(1)}/s${y.serviceCpuMsPerCall === undefined ? '' : ` (service CPU ${y.serviceCpuMsPerCall.toFixed(2)} ms/call)`}`).join(', ')}`),
      '',
      JSON.stringify(summary),
      '',
    ].join('\n'),
  );
  return 0;
}

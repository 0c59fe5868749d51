import { createUserCreds, openmeetLayout, postgresKysely, type AnyKysely, type UserCreds } from '@matrix-reset/user-creds';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { benchDatabase } from './bench-postgres.ts';

export interface UserCredsBenchOptions {
  /** Tenant schemas (default 10). */
  tenants?: number;
  /** Rows per tenant (default 100,000). */
  rowsPerTenant?: number;
  /** Batch size of the batched clear (default 10,000). */
  batchSize?: number;
  /** Measured rounds of each comparison, alternated (default 3). */
  rounds?: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

export interface StreamRun {
  rows: number;
  seconds: number;
  /** Peak RSS of the process during the stream minus its RSS just before the first row. */
  rssGrowthMb: number;
  /** RSS growth sampled after each tenth of the rows: a plateau means memory does not grow with the rows. */
  rssGrowthByTenthMb: number[];
}

export interface UserCredsBenchResult {
  rows: number;
  tenants: number;
  batchSize: number;
  loadSeconds: number;
  clear: {
    runbookSeconds: number[];
    batchedSeconds: number[];
    /** Median batched / median runbook (goal <= 1.5). */
    ratio: number;
    /** Longest single transaction of the runbook UPDATEs (one per schema). */
    runbookLongestTransactionMs: number;
    /** Longest batch transaction of the batched clear (goal <= 250). */
    batchedLongestTransactionMs: number;
    batches: number;
  };
  snapshot: {
    ctasSeconds: number[];
    snapshotSeconds: number[];
    /** Median snapshot / median CREATE TABLE AS (goal <= 1.3). */
    ratio: number;
  };
  stream: {
    pageSize: number;
    /** `creds.stream()` in a fresh process with the default V8 heap (goal: RSS growth < 50 MB). */
    library: StreamRun;
    /** The same keyset loop as a bare Kysely query loop in a fresh process: what the driver stack costs alone. */
    bare: StreamRun;
    /** `creds.stream()` in a fresh process with the heap capped (8 MB semi-spaces, 48 MB old generation). */
    capped: StreamRun;
    /**
     * `creds.stream()` in a fresh process with {@link RECOMMENDED_HEAP_FLAGS}, the V8 settings recommended for the CLI
     * and the service (young generation bounded; the old generation limit generous enough not to risk running out).
     */
    recommended: StreamRun;
  };
  goals: { clearRatio: boolean; longestTransaction: boolean; snapshotRatio: boolean; streamMemory: boolean };
}

/** V8 heap limits of the "capped" stream run: 8 MB semi-spaces, 48 MB old generation. */
const CAPPED_HEAP_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=48'];

/**
 * V8 settings recommended for matrix-reset processes: 2 MB semi-spaces (V8 otherwise grows the young generation to
 * 128 MB under any sustained stream of short-lived objects, e.g. pg pages or HTTP responses) and a 256 MB old
 * generation (which also makes V8 collect it sooner).
 */
export const RECOMMENDED_HEAP_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=256'];

const CREDENTIAL_COLUMNS = sql`"matrixUserId", "matrixAccessToken", "matrixDeviceId"`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timed<T>(body: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await body();
  return { result, seconds: (performance.now() - started) / 1000 };
}

async function load(db: AnyKysely, schemas: readonly string[], rows: number): Promise<void> {
  for (const schema of schemas) {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`
      CREATE TABLE ${sql.id(schema, 'users')} (
        id serial PRIMARY KEY, slug varchar NOT NULL, email varchar, "firstName" varchar, "createdAt" timestamptz DEFAULT now(),
        "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
      )`.execute(db);
    await sql`
      INSERT INTO ${sql.id(schema, 'users')} (slug, email, "firstName", "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
      SELECT 'user-' || g, 'user' || g || '@example.org', 'User ' || g, '@user-' || g || '_' || ${schema}::text || ':matrix.example.org',
             'syt_' || encode(sha256(g::text::bytea), 'hex'), 'DEV' || lpad(g::text, 8, '0'),
             jsonb_build_object('theme', 'dark', 'matrix', jsonb_build_object('connected', true))
      FROM generate_series(1, ${rows}) g`.execute(db);
  }
  await sql`VACUUM ANALYZE`.execute(db);
}

/** The runbook's way, adapted to the layout: one UPDATE per tenant table, each its own transaction. */
async function runbookClear(db: AnyKysely, schemas: readonly string[]): Promise<{ seconds: number; longestMs: number }> {
  let longestMs = 0;
  const { seconds } = await timed(async () => {
    for (const schema of schemas) {
      const started = performance.now();
      await sql`
        UPDATE ${sql.id(schema, 'users')}
        SET "matrixUserId" = NULL, "matrixAccessToken" = NULL, "matrixDeviceId" = NULL, preferences = preferences - 'matrix'`.execute(db);
      longestMs = Math.max(longestMs, performance.now() - started);
    }
  });
  return { seconds, longestMs };
}

/** Runs one stream in a forked Node process (optionally with a capped V8 heap) and returns what it measured. */
async function childStream(
  options: { url: string; like: string; pageSize: number; total: number; mode: 'library' | 'bare'; heapFlags?: readonly string[] },
): Promise<StreamRun> {
  const { heapFlags = [], ...input } = options;
  const child = fork(fileURLToPath(new URL('./user-creds-stream-child.ts', import.meta.url)), [], {
    execArgv: [...process.execArgv, ...heapFlags],
    env: { ...process.env, MR_BENCH_STREAM: JSON.stringify(input) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise<StreamRun>((resolve, reject) => {
    let result: StreamRun | undefined;
    child.on('message', (message) => {
      result = message as StreamRun;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`stream child exited with ${code}`))));
  });
}

async function settle(db: AnyKysely, creds: UserCreds, runId: string, batchSize: number): Promise<void> {
  await creds.restore({ runId, batchSize });
  await sql`VACUUM ANALYZE`.execute(db);
  await sql`CHECKPOINT`.execute(db);
}

/**
 * Measures, on an `openmeet` layout of `tenants x rowsPerTenant` rows in a database of its own: the batched clear
 * against the runbook's UPDATE (wall time and longest transaction), the snapshot against `CREATE TABLE AS SELECT`
 * of the same columns, and the resident memory a full credential stream adds. The database is dropped at the end.
 */
export async function runUserCredsBench(options: UserCredsBenchOptions = {}): Promise<UserCredsBenchResult> {
  const tenants = options.tenants ?? 10;
  const rowsPerTenant = options.rowsPerTenant ?? 100_000;
  const batchSize = options.batchSize ?? 10_000;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => undefined);
  const database = await benchDatabase('mr_bench_user_creds');
  const db = postgresKysely({ connectionString: database.url, max: 2, applicationName: 'matrix-reset-bench' });
  try {
    const schemas = Array.from({ length: tenants }, (_, i) => `tenant_bench${String(i).padStart(2, '0')}`);
    log(`loading ${tenants} x ${rowsPerTenant} rows into ${database.name}`);
    const loaded = await timed(() => load(db, schemas, rowsPerTenant));
    const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: ['tenant\\_bench%'] } }) });
    await creds.migrate();

    const runId = 'bench';
    const ctasSeconds: number[] = [];
    const snapshotSeconds: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}: CREATE TABLE AS SELECT, then snapshot`);
      await sql`CREATE SCHEMA bench_ctas`.execute(db);
      await sql`CHECKPOINT`.execute(db);
      const ctas = await timed(async () => {
        for (const schema of schemas) {
          await sql`
            CREATE TABLE ${sql.id('bench_ctas', schema)} AS
            SELECT id AS k, ${CREDENTIAL_COLUMNS}, (preferences -> 'matrix') AS j0 FROM ${sql.id(schema, 'users')}
            WHERE "matrixUserId" IS NOT NULL OR "matrixAccessToken" IS NOT NULL OR "matrixDeviceId" IS NOT NULL OR (preferences -> 'matrix') IS NOT NULL`.execute(db);
        }
      });
      ctasSeconds.push(ctas.seconds);
      await sql`DROP SCHEMA bench_ctas CASCADE`.execute(db);
      // Keep the last snapshot: the clear rounds use it.
      if (round > 1) await creds.dropSnapshot(runId);
      await sql`CHECKPOINT`.execute(db);
      const snapshot = await timed(() => creds.snapshot({ runId }));
      snapshotSeconds.push(snapshot.seconds);
    }

    const runbookSeconds: number[] = [];
    const batchedSeconds: number[] = [];
    let runbookLongestTransactionMs = 0;
    let batchedLongestTransactionMs = 0;
    let batches = 0;
    await sql`CHECKPOINT`.execute(db);
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}: runbook UPDATE`);
      const runbook = await runbookClear(db, schemas);
      runbookSeconds.push(runbook.seconds);
      runbookLongestTransactionMs = Math.max(runbookLongestTransactionMs, runbook.longestMs);
      await settle(db, creds, runId, batchSize);
      log(`round ${round}: batched clear (batch ${batchSize})`);
      const batched = await timed(() => creds.clear({ runId, batchSize }));
      batchedSeconds.push(batched.seconds);
      batchedLongestTransactionMs = Math.max(batchedLongestTransactionMs, batched.result.longestBatchMs);
      batches = batched.result.schemas.reduce((n, s) => n + s.batches, 0);
      if (batched.result.totalCleared !== tenants * rowsPerTenant) {
        throw new Error(`batched clear cleared ${batched.result.totalCleared} rows, expected ${tenants * rowsPerTenant}`);
      }
      await settle(db, creds, runId, batchSize);
    }

    const pageSize = 1000;
    const total = tenants * rowsPerTenant;
    const streamOptions = { url: database.url, like: 'tenant\\_bench%', pageSize, total };
    log('credential stream (library, default heap)');
    const library = await childStream({ ...streamOptions, mode: 'library' });
    log('credential stream (bare Kysely loop, default heap)');
    const bare = await childStream({ ...streamOptions, mode: 'bare' });
    log('credential stream (library, heap capped)');
    const capped = await childStream({ ...streamOptions, mode: 'library', heapFlags: CAPPED_HEAP_FLAGS });
    log(`credential stream (library, ${RECOMMENDED_HEAP_FLAGS.join(' ')})`);
    const recommended = await childStream({ ...streamOptions, mode: 'library', heapFlags: RECOMMENDED_HEAP_FLAGS });
    for (const run of [library, bare, capped, recommended]) {
      if (run.rows !== total) throw new Error(`a stream saw ${run.rows} credentials, expected ${total}`);
    }

    const clearRatio = median(batchedSeconds) / median(runbookSeconds);
    const snapshotRatio = median(snapshotSeconds) / median(ctasSeconds);
    return {
      rows: tenants * rowsPerTenant,
      tenants,
      batchSize,
      loadSeconds: loaded.seconds,
      clear: { runbookSeconds, batchedSeconds, ratio: clearRatio, runbookLongestTransactionMs, batchedLongestTransactionMs, batches },
      snapshot: { ctasSeconds, snapshotSeconds, ratio: snapshotRatio },
      stream: { pageSize, library, bare, capped, recommended },
      goals: {
        clearRatio: clearRatio <= 1.5,
        longestTransaction: batchedLongestTransactionMs <= 250,
        snapshotRatio: snapshotRatio <= 1.3,
        streamMemory: library.rssGrowthMb < 50,
      },
    };
  } finally {
    await db.destroy();
    await database.drop();
  }
}

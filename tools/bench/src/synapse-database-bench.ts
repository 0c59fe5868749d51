import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  backupDatabaseName,
  createDatabaseLike,
  describeDatabase,
  dropDatabase,
  dumpDatabase,
  emptyDatabase,
  renameDatabase,
  restoreDatabase,
  type DatabaseShape,
} from '@matrix-reset/reset-core';

/** One way of backing up Synapse's database and putting it back, timed. */
export interface BackupWayTiming {
  /** Backing up and leaving an empty database in its place (rename + create, or pg_dump + empty). */
  readonly backupSeconds: number;
  /** Putting the backup back (drop the empty one + rename back, or pg_restore). */
  readonly restoreSeconds: number;
  /** Extra bytes the backup holds outside the database (the dump file); 0 for a rename. */
  readonly fileBytes: number;
}

export interface SynapseDatabaseBenchResult {
  readonly databaseBytes: number;
  readonly rows: number;
  readonly fillSeconds: number;
  readonly rename: BackupWayTiming;
  readonly dump: BackupWayTiming;
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/**
 * Generates a Synapse-like database of about `sizeMb` on the Postgres in `serverUrl` (events with JSON bodies, state,
 * users, access tokens, with their indexes), then times both backups a full reset can take of it and both ways
 * back: `ALTER DATABASE ... RENAME` + `CREATE DATABASE` alike, against pg_dump (custom format) + emptying in place,
 * then pg_restore. Drops everything it made.
 */
export async function runSynapseDatabaseBench(options: { serverUrl: string; sizeMb: number; log?: (line: string) => void }): Promise<SynapseDatabaseBenchResult> {
  const log = options.log ?? (() => undefined);
  const server = new URL(options.serverUrl);
  const at = (database: string) => Object.assign(new URL(server.toString()), { pathname: `/${database}` }).toString();
  const name = `mr_bench_synapse_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: at('postgres') });
  await admin.connect();
  const dir = await mkdtemp(join(tmpdir(), 'mr-bench-synapse-db-'));
  try {
    await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    // About 1.4 KiB an event with its indexes (bodies of random hex, which compress as badly as real ones).
    const rows = Math.max(1000, Math.round((options.sizeMb * 1024 * 1024) / 1450));
    let started = performance.now();
    const inside = new pg.Client({ connectionString: at(name) });
    await inside.connect();
    try {
      await inside.query(`
        CREATE TABLE users (name text PRIMARY KEY, password_hash text, admin smallint, deactivated smallint DEFAULT 0, creation_ts bigint);
        CREATE TABLE access_tokens (id bigint PRIMARY KEY, user_id text NOT NULL, device_id text, token text NOT NULL UNIQUE, valid_until_ms bigint);
        CREATE TABLE events (stream_ordering bigint PRIMARY KEY, event_id text NOT NULL UNIQUE, room_id text NOT NULL, type text NOT NULL, sender text NOT NULL);
        CREATE TABLE event_json (event_id text PRIMARY KEY, room_id text NOT NULL, json text NOT NULL);
        CREATE TABLE schema_version (lock char(1) DEFAULT 'X' UNIQUE, version integer NOT NULL, upgraded boolean NOT NULL);
        INSERT INTO schema_version (version, upgraded) VALUES (92, true);`);
      const users = Math.max(100, Math.round(rows / 100));
      await inside.query(`INSERT INTO users SELECT '@u' || n || ':bench.test', md5(n::text), (n = 1)::int, 0, n FROM generate_series(1, $1) n`, [users]);
      await inside.query(`INSERT INTO access_tokens SELECT n, '@u' || n || ':bench.test', 'DEV' || n, 'syt_' || md5('t' || n), NULL FROM generate_series(1, $1) n`, [users]);
      const batch = 100_000;
      for (let from = 1; from <= rows; from += batch) {
        const to = Math.min(rows, from + batch - 1);
        await inside.query(
          `INSERT INTO events SELECT n, '$' || md5(n::text), '!room' || (n % 500) || ':bench.test', 'm.room.message', '@u' || (n % $3 + 1) || ':bench.test' FROM generate_series($1::bigint, $2::bigint) n`,
          [from, to, users],
        );
        await inside.query(
          `INSERT INTO event_json SELECT '$' || md5(n::text), '!room' || (n % 500) || ':bench.test', json_build_object('content', json_build_object('body', (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 24 + (n % 2)) g)), 'origin_server_ts', n)::text FROM generate_series($1::bigint, $2::bigint) n`,
          [from, to],
        );
        log(`  filled ${to} of ${rows} events`);
      }
      await inside.query('ANALYZE');
    } finally {
      await inside.end();
    }
    const fillSeconds = seconds(started);
    const shape = (await describeDatabase(admin, name)) as DatabaseShape;
    log(`synapse-database: ${rows} events, ${(shape.sizeBytes / 1024 / 1024).toFixed(0)} MiB, filled in ${fillSeconds.toFixed(1)} s`);

    // Rename aside + create alike, then drop the empty one + rename back.
    const backup = backupDatabaseName(name, 'r20261202t000000_bench');
    started = performance.now();
    await renameDatabase(admin, name, backup);
    await createDatabaseLike(admin, name, shape);
    const renameBackup = seconds(started);
    started = performance.now();
    await dropDatabase(admin, name);
    await renameDatabase(admin, backup, name);
    const renameRestore = seconds(started);
    log(`  rename + create: ${renameBackup.toFixed(3)} s, back: ${renameRestore.toFixed(3)} s`);

    // pg_dump + empty in place, then pg_restore.
    const target = { host: server.hostname, port: Number(server.port || 5432), database: name, user: decodeURIComponent(server.username || 'postgres'), password: () => (server.password === '' ? undefined : decodeURIComponent(server.password)) };
    const file = join(dir, 'synapse.dump');
    started = performance.now();
    const { bytes } = await dumpDatabase(target, file);
    const emptying = new pg.Client({ connectionString: at(name) });
    await emptying.connect();
    try {
      await emptyDatabase(emptying);
    } finally {
      await emptying.end();
    }
    const dumpBackup = seconds(started);
    started = performance.now();
    await restoreDatabase(target, file);
    const dumpRestore = seconds(started);
    log(`  pg_dump + empty: ${dumpBackup.toFixed(1)} s (${(bytes / 1024 / 1024).toFixed(0)} MiB file), pg_restore: ${dumpRestore.toFixed(1)} s`);
    return {
      databaseBytes: shape.sizeBytes,
      rows,
      fillSeconds,
      rename: { backupSeconds: renameBackup, restoreSeconds: renameRestore, fileBytes: 0 },
      dump: { backupSeconds: dumpBackup, restoreSeconds: dumpRestore, fileBytes: bytes },
    };
  } finally {
    for (const database of [name, backupDatabaseName(name, 'r20261202t000000_bench')]) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

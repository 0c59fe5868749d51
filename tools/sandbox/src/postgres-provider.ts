import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSupervised, type SupervisedProcess } from './child-process-supervisor.ts';
import { freePort } from './free-port.ts';
import { runCommand } from './run-command.ts';
import { SandboxError } from './sandbox-error.ts';
import { waitUntil } from './wait-until.ts';

/** `server`: a database on the Postgres already at 127.0.0.1:5432; `cluster`: a private cluster (initdb). */
export type PostgresMode = 'auto' | 'server' | 'cluster';

export interface PostgresOptions {
  /** The sandbox's state directory; a private cluster lives in `<stateDir>/postgres`. */
  stateDir: string;
  mode?: PostgresMode;
  /** The shared server probed by `auto`/`server`. Default 127.0.0.1:5432, user postgres, trust auth. */
  server?: { host: string; port: number; user: string };
  /** Prefix of every database created; default `mr_sandbox_<random>`. */
  databasePrefix?: string;
}

export interface PostgresDatabase {
  name: string;
  url: string;
}

/** A login role the sandbox made (its password is the caller's, kept in a 0600 file). */
export interface PostgresRole {
  name: string;
}

export interface PostgresService {
  readonly mode: 'server' | 'cluster';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** URL of the `postgres` maintenance database (for create/drop). */
  readonly adminUrl: string;
  /** pid of the private cluster's postmaster (cluster mode only). */
  readonly pid: number | undefined;
  /** Databases created so far (dropped by `stop()`). */
  readonly databases: readonly string[];
  /** Roles created so far (dropped by `stop()`, with every database they own). */
  readonly roles: readonly string[];
  /** Creates `<prefix><suffix>` with UTF8 and C collation from template0, owned by `owner` when given. */
  createDatabase(suffix?: string, options?: { owner?: string }): Promise<PostgresDatabase>;
  /**
   * Creates the login role `<prefix><suffix>` with CREATEDB (so a reset may rename its database aside and make
   * a new one) and `password`, which reaches psql on stdin only.
   */
  createRole(suffix: string, password: string): Promise<PostgresRole>;
  /** Drops every database and role it created; stops and deletes a private cluster. */
  stop(): Promise<void>;
}

const DEFAULT_SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

/**
 * Builds a `postgres://` URL (with the password when given: such a URL is a secret).
 *
 * @example
 * postgresUrl({ host: '127.0.0.1', port: 5432, user: 'postgres' }, 'mr_sandbox_ab12'); // postgres://postgres@127.0.0.1:5432/mr_sandbox_ab12
 */
export function postgresUrl(server: { host: string; port: number; user: string; password?: string }, database: string): string {
  const password = server.password === undefined ? '' : `:${encodeURIComponent(server.password)}`;
  return `postgres://${encodeURIComponent(server.user)}${password}@${server.host}:${server.port}/${encodeURIComponent(database)}`;
}

/**
 * Runs SQL with psql against a trust-auth server and returns its unaligned output: one statement as `-c`, or,
 * with `stdin: true`, a script on psql's stdin (for SQL holding a password, which must never be in argv).
 *
 * @example
 * await psql({ host: '127.0.0.1', port: 5432, user: 'postgres' }, 'postgres', 'select 1'); // "1"
 */
export async function psql(
  server: { host: string; port: number; user: string },
  database: string,
  sql: string,
  timeoutMs = 15_000,
  options: { stdin?: boolean } = {},
): Promise<string> {
  const result = await runCommand(
    'psql',
    ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', server.host, '-p', String(server.port), '-U', server.user, '-d', database, ...(options.stdin ? [] : ['-c', sql])],
    { env: { ...process.env, PGCONNECT_TIMEOUT: '3' }, timeoutMs, ...(options.stdin ? { input: sql } : {}) },
  );
  if (result.signal !== undefined) throw new Error(`psql was ended by ${result.signal} (it may not take more than ${timeoutMs} ms): ${result.stderr.trim()}`);
  if (result.code !== 0) throw new Error(`psql failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * True when a Postgres server answers a query at `server` (trust auth).
 *
 * @example
 * if (await postgresAnswers({ host: '127.0.0.1', port: 5432, user: 'postgres' })) useSharedServer();
 */
export async function postgresAnswers(server: { host: string; port: number; user: string }): Promise<boolean> {
  try {
    return (await psql(server, 'postgres', 'select 1', 5_000)) === '1';
  } catch {
    return false;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function checkName(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`database or role name ${name} must be lower-case letters, digits and _`);
}

/**
 * Drops a database if it exists, disconnecting its sessions.
 *
 * @example
 * await dropDatabase({ host: '127.0.0.1', port: 5432, user: 'postgres' }, 'mr_sandbox_ab12');
 */
export async function dropDatabase(server: { host: string; port: number; user: string }, name: string): Promise<void> {
  await psql(server, 'postgres', `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

/**
 * Drops a role if it exists, with every database it owns first (its own, and any a reset renamed aside).
 *
 * @example
 * await dropRole({ host: '127.0.0.1', port: 5432, user: 'postgres' }, 'mr_sandbox_ab12_synapse_postgres');
 */
export async function dropRole(server: { host: string; port: number; user: string }, name: string): Promise<void> {
  const owned = await psql(
    server,
    'postgres',
    `SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = ${quoteLiteral(name)}`,
  );
  for (const database of owned.split('\n').filter((line) => line !== '')) await dropDatabase(server, database);
  await psql(server, 'postgres', `DROP ROLE IF EXISTS ${quoteIdent(name)}`);
}

function running(
  mode: 'server' | 'cluster',
  server: { host: string; port: number; user: string },
  prefix: string,
  cluster: { process: SupervisedProcess; dir: string } | undefined,
): PostgresService {
  const databases: string[] = [];
  const roles: string[] = [];
  let stopped = false;
  return {
    mode,
    ...server,
    adminUrl: postgresUrl(server, 'postgres'),
    pid: cluster?.process.pid,
    get databases() {
      return [...databases];
    },
    get roles() {
      return [...roles];
    },
    async createDatabase(suffix = '', options = {}) {
      const name = `${prefix}${suffix}`;
      checkName(name);
      const owner = options.owner === undefined ? '' : ` OWNER ${quoteIdent(options.owner)}`;
      await psql(
        server,
        'postgres',
        `CREATE DATABASE ${quoteIdent(name)}${owner} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
      );
      databases.push(name);
      return { name, url: postgresUrl(server, name) };
    },
    async createRole(suffix, password) {
      const name = `${prefix}${suffix}`;
      checkName(name);
      try {
        await psql(server, 'postgres', `CREATE ROLE ${quoteIdent(name)} LOGIN CREATEDB PASSWORD ${quoteLiteral(password)};\n`, 15_000, { stdin: true });
      } catch (error) {
        // psql's stderr can quote the failing statement (its LINE context), and with it the password.
        throw new Error((error as Error).message.split(password).join('[redacted]'));
      }
      roles.push(name);
      return { name };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (cluster === undefined) {
        for (const name of databases) await dropDatabase(server, name);
        for (const name of roles) await dropRole(server, name);
        return;
      }
      await cluster.process.stop();
      await rm(cluster.dir, { recursive: true, force: true });
    },
  };
}

async function startCluster(options: PostgresOptions, prefix: string): Promise<PostgresService> {
  const dir = join(options.stateDir, 'postgres');
  const dataDir = join(dir, 'data');
  const logFile = join(options.stateDir, 'postgres.log');
  const asRoot = userInfo().uid === 0;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let runAsUser: string | undefined;
  if (asRoot) {
    // initdb and postgres refuse to run as root: the cluster belongs to the `postgres` OS user, who must be able
    // to reach it through the state directory.
    const pg = await runCommand('id', ['-u', 'postgres']);
    const gid = await runCommand('id', ['-g', 'postgres']);
    if (pg.code !== 0) {
      throw new SandboxError({
        code: 'POSTGRES_START_FAILED',
        message: 'running as root, and there is no `postgres` OS user to own a private Postgres cluster',
        nextSteps: ['Create a `postgres` user, or run the sandbox as a non-root user, or start a Postgres on 127.0.0.1:5432'],
      });
    }
    await chmod(options.stateDir, 0o711);
    await chown(dir, Number(pg.stdout.trim()), Number(gid.stdout.trim()));
    runAsUser = 'postgres';
  }
  const user = asRoot ? 'postgres' : userInfo().username;
  const initdbArgs = ['-D', dataDir, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
  const initdb = asRoot
    ? await runCommand('runuser', ['-u', 'postgres', '--', 'initdb', ...initdbArgs], { timeoutMs: 120_000 })
    : await runCommand('initdb', initdbArgs, { timeoutMs: 120_000 });
  if (initdb.code !== 0) {
    throw new SandboxError({
      code: 'POSTGRES_START_FAILED',
      message: `initdb failed (exit ${initdb.code}):\n${(initdb.stdout + initdb.stderr).trim().split('\n').slice(-20).join('\n')}`,
      nextSteps: ['Check that `initdb` (PostgreSQL server binaries) is on PATH'],
    });
  }
  const port = await freePort();
  const server = { host: '127.0.0.1', port, user };
  const postgres = spawnSupervised({
    name: 'postgres',
    command: 'postgres',
    // Durability off: a sandbox cluster is thrown away.
    args: ['-D', dataDir, '-h', '127.0.0.1', '-p', String(port), '-k', '', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    logFile,
    ...(runAsUser === undefined ? {} : { runAsUser }),
    deathSignal: 'SIGINT',
    stopSignal: 'SIGINT',
  });
  try {
    await waitUntil(() => postgresAnswers(server), {
      what: 'private Postgres cluster',
      timeoutMs: 60_000,
      abortReason: () => (postgres.exit ? `postgres exited (${JSON.stringify(postgres.exit)}); see ${logFile}` : undefined),
    });
  } catch (error) {
    await postgres.stop();
    throw new SandboxError({
      code: 'POSTGRES_START_FAILED',
      message: (error as Error).message,
      nextSteps: [`Read ${logFile}`],
      cause: error,
    });
  }
  return running('cluster', server, prefix, { process: postgres, dir });
}

/**
 * Gives the sandbox a Postgres: databases on the server at 127.0.0.1:5432 when it answers (mode `auto` or
 * `server`), else a private cluster on a free port (mode `auto` or `cluster`). Databases it creates are named
 * `mr_sandbox_<random>…` and dropped on `stop()`.
 *
 * @example
 * const postgres = await startPostgres({ stateDir: '/tmp/state' });
 * const { url } = await postgres.createDatabase();
 * await postgres.stop();
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresService> {
  const mode = options.mode ?? 'auto';
  const server = options.server ?? DEFAULT_SERVER;
  const prefix = options.databasePrefix ?? `mr_sandbox_${randomBytes(5).toString('hex')}`;
  if (mode !== 'cluster') {
    if (await postgresAnswers(server)) return running('server', server, prefix, undefined);
    if (mode === 'server') {
      throw new SandboxError({
        code: 'POSTGRES_UNAVAILABLE',
        message: `no Postgres answers at ${server.host}:${server.port} as user ${server.user} (trust auth)`,
        nextSteps: ['Start Postgres there, or use mode `auto`/`cluster` to run a private cluster with initdb'],
      });
    }
  }
  return startCluster(options, prefix);
}

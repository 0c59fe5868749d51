import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type pg from 'pg';
import { ResetError } from '../reset-error.ts';

/*
 * The other way to back up a Postgres-backed Synapse's database, for when it cannot be renamed aside (the role owns
 * the database's objects but lacks CREATEDB, or the database is shared with other schemas): pg_dump into a file, then
 * empty the database in place; a rollback empties it again and pg_restore puts the dump back. Slower than a rename
 * (it reads and writes every row) but needs no right over the database itself.
 */

/** Where pg_dump and pg_restore connect: the database's address and role; the password travels in PGPASSWORD only. */
export interface DumpTarget {
  /** Undefined: libpq's default (PGHOST, else the local socket). */
  readonly host?: string | undefined;
  /** Undefined: libpq's default (PGPORT, else 5432). */
  readonly port?: number | undefined;
  readonly database: string;
  /** Undefined: libpq's default (PGUSER, else the OS user). */
  readonly user?: string | undefined;
  /** libpq's sslmode (PGSSLMODE); undefined: libpq's default (prefer). */
  readonly sslmode?: 'disable' | 'prefer' | 'require' | 'verify-full' | undefined;
  /** Read when the tools start; never on a command line. */
  readonly password?: () => string | undefined;
}

/** The connection string the tools get on their command line: host, port, database and role, never a password. */
function dbname(target: DumpTarget): string {
  const url = new URL('postgresql://');
  if (target.host !== undefined) url.hostname = target.host;
  if (target.port !== undefined) url.port = String(target.port);
  url.pathname = `/${encodeURIComponent(target.database)}`;
  if (target.user !== undefined) url.username = encodeURIComponent(target.user);
  return url.toString();
}

/** Runs a Postgres client tool with the password in its environment; throws step_failed with its last stderr lines. */
async function runTool(tool: 'pg_dump' | 'pg_restore', args: string[], target: DumpTarget): Promise<void> {
  const password = target.password?.();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGCONNECT_TIMEOUT: '10',
    ...(password === undefined ? {} : { PGPASSWORD: password }),
    ...(target.sslmode === undefined ? {} : { PGSSLMODE: target.sslmode }),
  };
  delete env['PGPASSFILE'];
  const stderr: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new ResetError('environment_incapable', `${tool} is not installed where matrix-reset runs`, { nextSteps: [`Install the Postgres client tools (Debian: apt-get install postgresql-client), matching the server's major version or newer.`] })
          : error,
      ),
    );
    child.once('exit', resolve);
  });
  if (code === 0) return;
  const words = stderr.join('').trim().split('\n').slice(-3).join(' ');
  // Every occurrence, should a tool ever echo it.
  const last = password === undefined || password === '' ? words : words.split(password).join('[redacted]');
  throw new ResetError('step_failed', `${tool} of database ${target.database} exited ${String(code)}: ${last}`, {
    nextSteps: [`Check that role ${target.user ?? '(the default)'} may read every table of ${target.database} and that the client tools are as new as the server, then resume.`],
  });
}

/**
 * Dumps the database into `file` (pg_dump's custom format, compressed); the file's size.
 *
 * @example
 * ```ts
 * await dumpDatabase({ host: '127.0.0.1', port: 5432, database: 'synapse', user: 'synapse' }, '/var/backups/synapse.dump');
 * ```
 */
export async function dumpDatabase(target: DumpTarget, file: string): Promise<{ bytes: number }> {
  await runTool('pg_dump', ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${dbname(target)}`], target);
  return { bytes: (await stat(file)).size };
}

/**
 * Restores a dump made by {@link dumpDatabase} into the database (emptied first: see {@link emptyDatabase}).
 *
 * @example
 * ```ts
 * await restoreDatabase({ host: '127.0.0.1', port: 5432, database: 'synapse', user: 'synapse' }, '/var/backups/synapse.dump');
 * ```
 */
export async function restoreDatabase(target: DumpTarget, file: string): Promise<void> {
  await runTool('pg_restore', ['--no-password', '--exit-on-error', '--single-transaction', `--dbname=${dbname(target)}`, file], target);
}

/**
 * Empties the database this connection is connected to: every schema the connected role owns, outside Postgres's
 * own, dropped with what it holds; `public` made again, owned by that role. Synapse creates its tables again when
 * it starts.
 *
 * @example
 * ```ts
 * const session = await (await resolveSynapseDatabase(env, connection)).connect();
 * const dropped = await emptyDatabase(session.client); // ['public']
 * ```
 */
export async function emptyDatabase(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n
      WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND pg_has_role(current_user, n.nspowner, 'USAGE')
      ORDER BY 1`,
  );
  await client.query('BEGIN');
  try {
    for (const { name } of rows) await client.query(`DROP SCHEMA "${name.replace(/"/g, '""')}" CASCADE`);
    await client.query('CREATE SCHEMA IF NOT EXISTS public AUTHORIZATION CURRENT_USER');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return rows.map((row) => row.name);
}

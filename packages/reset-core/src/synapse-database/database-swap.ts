import type pg from 'pg';
import { ResetError } from '../reset-error.ts';

/*
 * The database operations of a Postgres-backed Synapse's full reset, on a connection to its server: describe the
 * database, see who is connected, move it aside under a name of the run (ALTER DATABASE ... RENAME: instant at any
 * size, the backup is the database itself) and create a fresh one shaped like it; the swap back for a rollback; the
 * backups to prune. Every statement names databases through identifier quoting; nothing here reads a password.
 *
 * The connection must be to another database of the same server (e.g. `postgres`): a database cannot be renamed or
 * dropped by a session connected to it.
 */

/** What a database is made with, so that its replacement is made alike. */
export interface DatabaseShape {
  readonly name: string;
  readonly owner: string;
  readonly encoding: string;
  /** LC_COLLATE and LC_CTYPE: Synapse wants C for both unless its config sets allow_unsafe_locale. */
  readonly collate: string;
  readonly ctype: string;
  readonly sizeBytes: number;
}

/** A session connected to a database (never this connection's own). */
export interface DatabaseSession {
  readonly pid: number;
  readonly user: string;
  readonly application: string;
  readonly clientAddress: string | undefined;
  readonly state: string | undefined;
}

/** What the connected role may do to a database: rename and drop need ownership (or superuser), create needs CREATEDB. */
export interface DatabaseRights {
  readonly role: string;
  readonly superuser: boolean;
  readonly createDatabase: boolean;
  readonly ownsDatabase: boolean;
}

/** The suffix a backup's name carries: `<database>__mr_<run id>`, cut to Postgres's 63 bytes from the database's end. */
const BACKUP_MARK = '__mr_';
const MAX_IDENTIFIER = 63;

/**
 * The name a database is moved aside to for run `runId`: `<database>__mr_<run id>`, the database part shortened so
 * that the whole fits Postgres's 63-byte identifiers (the run id is kept whole: it is what finds the backup again).
 *
 * @example
 * ```ts
 * backupDatabaseName('synapse', 'r20261202t030000_3fa9c2d1'); // 'synapse__mr_r20261202t030000_3fa9c2d1'
 * ```
 */
export function backupDatabaseName(database: string, runId: string): string {
  const suffix = `${BACKUP_MARK}${runId}`;
  if (Buffer.byteLength(suffix) >= MAX_IDENTIFIER) throw new RangeError(`run id ${runId} is too long for a database name`);
  let head = database;
  while (Buffer.byteLength(head + suffix) > MAX_IDENTIFIER) head = head.slice(0, -1);
  return head + suffix;
}

/**
 * The database `name` as the server describes it, or undefined when there is none.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * const shape = await describeDatabase(server.client, 'synapse'); // { owner: 'synapse', encoding: 'UTF8', collate: 'C', ... }
 * ```
 */
export async function describeDatabase(client: pg.ClientBase, name: string): Promise<DatabaseShape | undefined> {
  const { rows } = await client.query<{ owner: string; encoding: string; collate: string; ctype: string; size: string }>(
    `SELECT pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype,
            pg_database_size(d.oid)::text AS size
       FROM pg_database d WHERE d.datname = $1`,
    [name],
  );
  const row = rows[0];
  return row === undefined ? undefined : Object.freeze({ name, owner: row.owner, encoding: row.encoding, collate: row.collate, ctype: row.ctype, sizeBytes: Number(row.size) });
}

/**
 * The sessions connected to database `name` now, other than this connection's own.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * const sessions = await sessionsOn(server.client, 'synapse'); // [] once every Synapse process is stopped
 * ```
 */
export async function sessionsOn(client: pg.ClientBase, name: string): Promise<DatabaseSession[]> {
  const { rows } = await client.query<{ pid: number; user: string | null; application: string | null; address: string | null; state: string | null }>(
    `SELECT pid, usename AS user, application_name AS application, host(client_addr) AS address, state
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`,
    [name],
  );
  return rows.map((row) => Object.freeze({ pid: row.pid, user: row.user ?? '', application: row.application ?? '', clientAddress: row.address ?? undefined, state: row.state ?? undefined }));
}

/**
 * Ends every other session on database `name` (pg_terminate_backend); the number ended. Only for an operator's
 * explicit choice: the sessions are usually Synapse processes that were not stopped.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * const ended = await terminateSessions(server.client, 'synapse');
 * ```
 */
export async function terminateSessions(client: pg.ClientBase, name: string): Promise<number> {
  const { rows } = await client.query<{ ended: boolean }>(`SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
  return rows.filter((row) => row.ended).length;
}

/**
 * What the connected role may do to database `name`.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * const rights = await databaseRights(server.client, 'synapse'); // { role: 'synapse', superuser: false, createDatabase: true, ownsDatabase: true }
 * ```
 */
export async function databaseRights(client: pg.ClientBase, name: string): Promise<DatabaseRights> {
  const { rows } = await client.query<{ role: string; superuser: boolean; createdb: boolean; owns: boolean | null }>(
    `SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
            (SELECT pg_has_role(r.oid, d.datdba, 'USAGE') FROM pg_database d WHERE d.datname = $1) AS owns
       FROM pg_roles r WHERE r.rolname = current_user`,
    [name],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('current_user has no pg_roles row');
  return Object.freeze({ role: row.role, superuser: row.superuser, createDatabase: row.createdb, ownsDatabase: row.owns === true });
}

/**
 * Why the connected role cannot swap database `name` (rename it aside, create its replacement, and later drop the
 * backup), with the statements that would let it; undefined when it can.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * const refusal = swapRefusal(await databaseRights(server.client, 'synapse'), 'synapse');
 * if (refusal) throw refusal;
 * ```
 */
export function swapRefusal(rights: DatabaseRights, name: string): ResetError | undefined {
  if (rights.superuser || (rights.createDatabase && rights.ownsDatabase)) return undefined;
  const role = quoteIdentifier(rights.role);
  const missing = [...(rights.createDatabase ? [] : ['CREATEDB']), ...(rights.ownsDatabase ? [] : [`ownership of database ${name}`])];
  return new ResetError('environment_incapable', `Role ${rights.role} cannot replace Synapse's database ${name}: it lacks ${missing.join(' and ')}`, {
    nextSteps: [
      `As a superuser (or the database's owner), run: ${[...(rights.createDatabase ? [] : [`ALTER ROLE ${role} CREATEDB;`]), ...(rights.ownsDatabase ? [] : [`ALTER DATABASE ${quoteIdentifier(name)} OWNER TO ${role};`])].join(' ')}`,
      'Or give matrix-reset a role that has both (synapse.database in matrix-reset.yaml), then plan again.',
    ],
  });
}

/**
 * Renames database `from` to `to`. Refuses, naming who, while any other session is connected to `from` (Postgres
 * would refuse too, less clearly).
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * await renameDatabase(server.client, 'synapse', backupDatabaseName('synapse', 'r20261202t030000_3fa9c2d1'));
 * ```
 */
export async function renameDatabase(client: pg.ClientBase, from: string, to: string): Promise<void> {
  await requireNoSessions(client, from);
  await client.query(`ALTER DATABASE ${quoteIdentifier(from)} RENAME TO ${quoteIdentifier(to)}`);
}

/**
 * Creates database `name` shaped like `shape` (owner, encoding, LC_COLLATE, LC_CTYPE, from template0): empty, for
 * Synapse to create its schema in when it starts.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * await createDatabaseLike(server.client, 'synapse', { owner: 'synapse', encoding: 'UTF8', collate: 'C', ctype: 'C' });
 * ```
 */
export async function createDatabaseLike(client: pg.ClientBase, name: string, shape: Pick<DatabaseShape, 'owner' | 'encoding' | 'collate' | 'ctype'>): Promise<void> {
  await client.query(
    `CREATE DATABASE ${quoteIdentifier(name)} WITH OWNER ${quoteIdentifier(shape.owner)} ENCODING ${quoteLiteral(shape.encoding)} ` +
      `LC_COLLATE ${quoteLiteral(shape.collate)} LC_CTYPE ${quoteLiteral(shape.ctype)} TEMPLATE template0`,
  );
}

/**
 * Drops database `name` if it exists. Refuses while another session is connected to it.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * await dropDatabase(server.client, 'synapse__mr_r20261202t030000_3fa9c2d1');
 * ```
 */
export async function dropDatabase(client: pg.ClientBase, name: string): Promise<void> {
  await requireNoSessions(client, name);
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
}

/** A backup of a Synapse database this tool made: its name, the run that made it, its size. */
export interface DatabaseBackup {
  readonly name: string;
  readonly runId: string;
  readonly sizeBytes: number;
}

/**
 * The backups of database `database` on this server (`<database>__mr_<run id>`, the database part as
 * {@link backupDatabaseName} shortens it), oldest run first.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * const backups = await listDatabaseBackups(server.client, 'synapse'); // [{ name: 'synapse__mr_r2026…', runId: 'r2026…', sizeBytes }]
 * ```
 */
export async function listDatabaseBackups(client: pg.ClientBase, database: string): Promise<DatabaseBackup[]> {
  const { rows } = await client.query<{ name: string; size: string }>(
    `SELECT datname AS name, pg_database_size(oid)::text AS size FROM pg_database WHERE position($1 in datname) > 0 ORDER BY datname`,
    [BACKUP_MARK],
  );
  return rows
    .map((row) => ({ row, at: row.name.lastIndexOf(BACKUP_MARK) }))
    .filter(({ row, at }) => at > 0 && backupDatabaseName(database, row.name.slice(at + BACKUP_MARK.length)) === row.name)
    .map(({ row, at }) => Object.freeze({ name: row.name, runId: row.name.slice(at + BACKUP_MARK.length), sizeBytes: Number(row.size) }));
}

/**
 * Refuses with `database_in_use`, naming up to five of them (pid, role, application, address), while any other
 * session is on database `name`.
 *
 * @example
 * ```ts
 * const server = await (await resolveSynapseDatabase(env, connection)).connect({ database: 'postgres' });
 * await requireNoSessions(server.client, 'synapse'); // throws database_in_use while Synapse still runs
 * ```
 */
export async function requireNoSessions(client: pg.ClientBase, name: string): Promise<void> {
  const sessions = await sessionsOn(client, name);
  if (sessions.length === 0) return;
  const who = sessions
    .slice(0, 5)
    .map((s) => `pid ${s.pid} (${s.user}${s.application === '' ? '' : `, ${s.application}`}${s.clientAddress === undefined ? '' : ` from ${s.clientAddress}`})`)
    .join(', ');
  throw new ResetError('database_in_use', `Database ${name} still has ${sessions.length} session${sessions.length === 1 ? '' : 's'}: ${who}${sessions.length > 5 ? ', ...' : ''}`, {
    nextSteps: [
      'Stop every process using it first (every Synapse process: the main one and its workers), then resume.',
      'If the sessions belong to nothing that should run, end them explicitly (the run option to terminate leftover sessions).',
    ],
  });
}

/** `"name"` with inner quotes doubled: safe for any identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `'text'` with inner quotes doubled (standard_conforming_strings, as every supported Postgres has it on). */
function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

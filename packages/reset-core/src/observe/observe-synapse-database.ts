import type pg from 'pg';
import type { SynapseDatabaseAccess, SynapseDatabaseEndpoint } from '../connection/connect-synapse-database.ts';
import { describeSynapseDatabaseError, synapseDatabaseErrorCode } from '../connection/connect-synapse-database.ts';
import { isResetError } from '../reset-error.ts';
import { databaseRights, describeDatabase, sessionsOn } from '../synapse-database/database-swap.ts';

/** Other databases listed by name at most (their count is always whole). */
const MAX_LISTED_DATABASES = 50;

/**
 * A Postgres-backed Synapse's database as seen through one read-only session: the server, the database's shape
 * (what a replacement must be made with), what the connecting role may do, who else is connected and Synapse's
 * schema version. Or, when it could not be reached, why: a code and words, never a host, port or password. Frozen,
 * secret-free.
 */
export type SynapseDatabaseObservation =
  | {
      readonly reachable: true;
      readonly endpoint: SynapseDatabaseEndpoint;
      readonly server: { readonly version: string; readonly versionNum: number };
      readonly database: {
        readonly name: string;
        readonly owner: string;
        readonly encoding: string;
        /** LC_COLLATE and LC_CTYPE (`datcollate`, `datctype`): Synapse wants C unless it allows unsafe locales. */
        readonly collate: string;
        readonly ctype: string;
        readonly sizeBytes: number;
      };
      /**
       * The role matrix-reset connected as: replacing the database needs CREATEDB and ownership, or superuser;
       * emptying it in place after a pg_dump needs every schema in it (`notOwnedSchemas` lists those it does not own).
       */
      readonly role: {
        readonly name: string;
        readonly superuser: boolean;
        readonly createDatabase: boolean;
        readonly ownsDatabase: boolean;
        /** Schemas of the database, Postgres's own left out, that the role does not own (nor is a member of their owner). */
        readonly notOwnedSchemas: readonly string[];
      };
      /** Sessions on the database now, other than this one (Synapse's own, while it runs). */
      readonly connections: number;
      /** Other databases on the same server, templates left out: all are counted, the first 50 named. */
      readonly otherDatabases: { readonly count: number; readonly names: readonly string[] };
      /**
       * Synapse's `schema_version` table: `present` with its version, `absent` (an empty database: Synapse creates it
       * when it starts), or `unreadable` (the role may not read it; `code` says why).
       */
      readonly schema: { readonly state: 'present'; readonly version: number } | { readonly state: 'absent' } | { readonly state: 'unreadable'; readonly code: string };
    }
  | {
      readonly reachable: false;
      /** Undefined when not even the endpoint could be resolved (a reference holding nothing, homeserver.yaml unread). */
      readonly endpoint: SynapseDatabaseEndpoint | undefined;
      readonly error: { readonly code: string; readonly message: string };
    };

/**
 * Connects to Synapse's database read-only (5 s to connect, 10 s a statement) and reports what it finds
 * ({@link SynapseDatabaseObservation}); a database it cannot reach is reported as such, with its code, not thrown.
 * `access` is a promise of the way there, so that failing to resolve it is reported too.
 *
 * @example
 * ```ts
 * const seen = await observeSynapseDatabase(resolveSynapseDatabase(env, connection));
 * if (seen.reachable) console.log(seen.database.owner, seen.schema);
 * else console.error(seen.error.code);
 * ```
 */
export async function observeSynapseDatabase(access: Promise<SynapseDatabaseAccess> | SynapseDatabaseAccess): Promise<SynapseDatabaseObservation> {
  let resolved: SynapseDatabaseAccess | undefined;
  try {
    resolved = await access;
    const session = await resolved.connect({ readOnly: true, connectTimeoutMs: 5000, statementTimeoutMs: 10_000 });
    try {
      return Object.freeze({ reachable: true as const, endpoint: session.endpoint, ...(await readFacts(session.client)) });
    } finally {
      await session.close();
    }
  } catch (error) {
    return Object.freeze({ reachable: false as const, endpoint: resolved?.endpoint, error: Object.freeze(describeFailure(error)) });
  }
}

function describeFailure(error: unknown): { code: string; message: string } {
  // reset-core's own refusals (a reference holding nothing, an unknown storage, the connection refused) say it; a
  // refused connection's code is its cause's.
  if (isResetError(error)) return { code: synapseDatabaseErrorCode(error.cause) ?? error.code, message: error.message };
  const code = synapseDatabaseErrorCode(error);
  if (code === undefined) throw error;
  return { code, message: `Synapse's database could not be read (${code}): ${describeSynapseDatabaseError(code)}` };
}

async function readFacts(client: pg.Client): Promise<Omit<Extract<SynapseDatabaseObservation, { reachable: true }>, 'reachable' | 'endpoint'>> {
  const { rows } = await client.query<{ version: string; version_num: string; name: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS version_num, current_database() AS name`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('the server answered no row for its version');
  // One client: its queries one after the other (pg deprecates queries issued while one runs).
  const shape = await describeDatabase(client, row.name);
  const rights = await databaseRights(client, row.name);
  const sessions = await sessionsOn(client, row.name);
  if (shape === undefined) throw new Error('the current database has no catalog row');
  const foreign = await client.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace
      WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND NOT pg_has_role(current_user, nspowner, 'USAGE')
      ORDER BY 1`,
  );
  const others = await client.query<{ name: string }>(`SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND datname <> current_database() ORDER BY datname`);
  return {
    server: { version: row.version, versionNum: Number(row.version_num) },
    database: { name: shape.name, owner: shape.owner, encoding: shape.encoding, collate: shape.collate, ctype: shape.ctype, sizeBytes: shape.sizeBytes },
    role: { name: rights.role, superuser: rights.superuser, createDatabase: rights.createDatabase, ownsDatabase: rights.ownsDatabase, notOwnedSchemas: foreign.rows.map((row) => row.name) },
    connections: sessions.length,
    otherDatabases: { count: others.rows.length, names: others.rows.slice(0, MAX_LISTED_DATABASES).map((other) => other.name) },
    schema: await readSchemaVersion(client),
  };
}

async function readSchemaVersion(client: pg.Client): Promise<Extract<SynapseDatabaseObservation, { reachable: true }>['schema']> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass('schema_version') IS NOT NULL AS present`);
  if (rows[0]?.present !== true) return { state: 'absent' };
  try {
    const version = await client.query<{ version: number | null }>('SELECT version FROM schema_version');
    const value = version.rows[0]?.version;
    return typeof value === 'number' ? { state: 'present', version: value } : { state: 'absent' };
  } catch (error) {
    const code = synapseDatabaseErrorCode(error);
    if (code === undefined) throw error;
    return { state: 'unreadable', code };
  }
}

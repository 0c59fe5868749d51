import type { Kube } from '@matrix-reset/k8s-ops';
import type { SecretStore, SecretValue } from '@matrix-reset/secrets';
import pg from 'pg';
import { readConfiguredSecret } from '../config/config-reference-reading.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { homeserverLocation, readHomeserverDatabase, type HomeserverDatabase } from '../observe/observe-homeserver.ts';
import { ResetError } from '../reset-error.ts';

/*
 * The way to a Postgres-backed Synapse's database from where matrix-reset runs: homeserver.yaml's `database.args`
 * (host, port, database, user, password), each replaced by matrix-reset.yaml's `synapse.database` field when given,
 * or that section's `url` instead of all of them. The password stays in a closure: it is in no returned object.
 */

/** Where a connection to Synapse's database goes, and where its settings came from. Never a password. */
export interface SynapseDatabaseEndpoint {
  /** Undefined: node-postgres' default (`PGHOST`, else localhost); a path starting with / is a socket directory. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** Synapse's database (`database.args.database` or `dbname`, or the URL's path). */
  readonly database: string | undefined;
  readonly user: string | undefined;
  /** `url`: `synapse.database.url`; `homeserver.yaml`: its `database.args`, with the fields in `overridden` from `synapse.database`. */
  readonly from: 'url' | 'homeserver.yaml';
  readonly overridden: readonly ('host' | 'port' | 'user' | 'password')[];
  /** Where the password comes from (never the password itself). */
  readonly password: 'none' | 'homeserver.yaml' | 'synapse.database.password' | 'synapse.database.url';
  /** TLS: off, on without checking the certificate (psycopg2's `require`), or verified (`verify-ca`, `verify-full`). */
  readonly tls: 'off' | 'unverified' | 'verified';
}

export interface SynapseDatabaseConnectOptions {
  /**
   * Another database of the same server instead of Synapse's, e.g. `postgres`: a database can be renamed or dropped
   * only by a session connected elsewhere.
   */
  database?: string;
  /** Every transaction read-only (default false). */
  readOnly?: boolean;
  /** Default 5000. */
  connectTimeoutMs?: number;
  /** Postgres' `statement_timeout` for the session, 0 for none (default 30000). */
  statementTimeoutMs?: number;
}

/** One open session on Synapse's database server. `close()` ends it. */
export interface SynapseDatabaseConnection {
  /** A connected node-postgres client. */
  readonly client: pg.Client;
  /** Where it is connected (`database` is the one connected to). */
  readonly endpoint: SynapseDatabaseEndpoint;
  close(): Promise<void>;
}

/**
 * How to reach Synapse's database, resolved once: the endpoint, and `connect()` opening sessions with the password
 * it read (homeserver.yaml is not read again, so sessions can be opened while Synapse's pod is gone).
 */
export interface SynapseDatabaseAccess {
  readonly endpoint: SynapseDatabaseEndpoint;
  connect(options?: SynapseDatabaseConnectOptions): Promise<SynapseDatabaseConnection>;
  /**
   * The password (undefined: none), for a client tool's `PGPASSWORD` (pg_dump, pg_restore): never on a command line,
   * in a message, a log or a plan.
   */
  revealPassword(): string | undefined;
}

/** What reaching Synapse's database reads through: the cluster (homeserver.yaml in the pod or a ConfigMap) and the secret stores. */
export interface SynapseDatabaseDependencies {
  readonly kube: Kube | undefined;
  readonly openSecretStore: (reference: string) => SecretStore;
}

/**
 * Resolves how to reach a Postgres-backed Synapse's database (see {@link SynapseDatabaseEndpoint}): reads
 * homeserver.yaml (unless `synapse.database.url` gives everything) and the configured references, and returns an
 * access that opens sessions. Throws `environment_incapable` when homeserver.yaml cannot be read or names no
 * Postgres (and no `synapse.database.url` is configured), `config_invalid` when a reference holds nothing (naming
 * its line) or the URL is not a `postgres://` URL. Opens no connection.
 *
 * @example
 * ```ts
 * const access = await resolveSynapseDatabase(env, connection);
 * const maintenance = await access.connect({ database: 'postgres' });
 * try {
 *   await maintenance.client.query('SELECT datname FROM pg_database');
 * } finally {
 *   await maintenance.close();
 * }
 * ```
 */
export async function resolveSynapseDatabase(env: EnvironmentConfig, deps: SynapseDatabaseDependencies): Promise<SynapseDatabaseAccess> {
  const homeserver = env.synapse.database?.url === undefined ? await readHomeserverDatabase({ ...homeserverLocation(env), kube: deps.kube }) : undefined;
  return synapseDatabaseAccess(env, deps.openSecretStore, homeserver);
}

/**
 * Opens one session on a Postgres-backed Synapse's database ({@link resolveSynapseDatabase}, then `connect`), with
 * short timeouts. Fails `database_unavailable` when the server does not answer, `environment_incapable` when it
 * refuses the role or has no such database: the message carries the code only (no host, port or password; the
 * node-postgres error is the `cause`, for logs). The caller closes it.
 *
 * @example
 * ```ts
 * const synapseDb = await connectSynapseDatabase(env, connection, { readOnly: true });
 * try {
 *   const { rows } = await synapseDb.client.query<{ version: number }>('SELECT version FROM schema_version');
 *   console.log(synapseDb.endpoint.database, rows[0]?.version);
 * } finally {
 *   await synapseDb.close();
 * }
 * ```
 */
export async function connectSynapseDatabase(env: EnvironmentConfig, deps: SynapseDatabaseDependencies, options: SynapseDatabaseConnectOptions = {}): Promise<SynapseDatabaseConnection> {
  return (await resolveSynapseDatabase(env, deps)).connect(options);
}

/** The access from homeserver.yaml as already read (`homeserver`; undefined with `synapse.database.url`). */
export async function synapseDatabaseAccess(
  env: Pick<EnvironmentConfig, 'name' | 'synapse' | 'origin'>,
  open: (reference: string) => SecretStore,
  homeserver: HomeserverDatabase | undefined,
): Promise<SynapseDatabaseAccess> {
  const configured = env.synapse.database;
  if (configured?.url !== undefined) {
    const text = await readConfiguredSecret(
      env,
      { field: 'synapse.database.url', reference: configured.url, what: "Synapse's database URL", example: 'postgres://USER:PASSWORD@HOST:5432/synapse' },
      open,
    );
    return urlAccess(env, configured.url, text);
  }
  const storage = homeserver?.storage;
  if (storage?.engine !== 'psycopg2') {
    const why =
      storage === undefined || storage.engine === 'unknown'
        ? `where it keeps its data is unknown (${storage?.engine === 'unknown' ? storage.reason : 'homeserver.yaml not read'})`
        : `it keeps its data in SQLite (${storage.databasePath}), not Postgres`;
    throw new ResetError('environment_incapable', `Synapse's database of ${env.name} cannot be reached: ${why}`, {
      nextSteps: ['Point synapse.homeserverConfig at the homeserver.yaml Synapse runs with, or give synapse.database.url in matrix-reset.yaml.'],
    });
  }
  let password = homeserver?.password;
  if (configured?.password !== undefined) {
    password = await readConfiguredSecret(
      env,
      { field: 'synapse.database.password', reference: configured.password, what: "the password of Synapse's database", example: 'PASSWORD' },
      open,
    );
  }
  const overridden = (['host', 'port', 'user', 'password'] as const).filter((key) => configured?.[key] !== undefined);
  const tls = tlsOf(storage.sslmode);
  const endpoint: SynapseDatabaseEndpoint = Object.freeze({
    host: configured?.host ?? storage.host,
    port: configured?.port ?? storage.port,
    database: storage.database,
    user: configured?.user ?? storage.user,
    from: 'homeserver.yaml',
    overridden: Object.freeze(overridden),
    password: configured?.password !== undefined ? 'synapse.database.password' : password === undefined ? 'none' : 'homeserver.yaml',
    tls,
  });
  const settings = { host: endpoint.host, port: endpoint.port, user: endpoint.user, ssl: tls === 'off' ? false : tls === 'verified' ? true : { rejectUnauthorized: false } };
  return Object.freeze({
    endpoint,
    connect: (options: SynapseDatabaseConnectOptions = {}) => openSession(endpoint, { ...settings, database: options.database ?? endpoint.database }, password, options),
    revealPassword: () => password?.reveal(),
  });
}

/** psycopg2's sslmode as node-postgres does TLS: `prefer` and `allow` connect without it (node-postgres never falls back). */
function tlsOf(sslmode: string | undefined): SynapseDatabaseEndpoint['tls'] {
  if (sslmode === 'require') return 'unverified';
  if (sslmode === 'verify-ca' || sslmode === 'verify-full') return 'verified';
  return 'off';
}

function urlAccess(env: Pick<EnvironmentConfig, 'name' | 'origin'>, reference: string, text: SecretValue): SynapseDatabaseAccess {
  let url: URL;
  try {
    url = new URL(text.reveal());
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    const location = env.origin?.references['synapse.database.url'] ?? env.origin?.file;
    throw new ResetError('config_invalid', `${location === undefined ? '' : `${location}: `}environments.${env.name}.synapse.database.url: ${reference} does not hold a postgres:// URL`, {
      nextSteps: ['Store the whole URL there: postgres://USER:PASSWORD@HOST:5432/DATABASE (percent-encode special characters in the password).'],
    });
  }
  const decoded = (value: string) => (value === '' ? undefined : decodeURIComponent(value));
  const sslmode = url.searchParams.get('sslmode') ?? undefined;
  const endpoint: SynapseDatabaseEndpoint = Object.freeze({
    host: decoded(url.hostname) ?? url.searchParams.get('host') ?? undefined,
    port: url.port === '' ? undefined : Number(url.port),
    database: decoded(url.pathname.slice(1)),
    user: decoded(url.username),
    from: 'url',
    overridden: Object.freeze([]),
    password: url.password === '' ? 'none' : 'synapse.database.url',
    tls: tlsOf(sslmode),
  });
  return Object.freeze({
    endpoint,
    connect: (options: SynapseDatabaseConnectOptions = {}) => {
      const target = new URL(url.href);
      if (options.database !== undefined) target.pathname = `/${encodeURIComponent(options.database)}`;
      return openSession(endpoint, { connectionString: target.href }, undefined, options);
    },
    revealPassword: () => (url.password === '' ? undefined : decodeURIComponent(url.password)),
  });
}

async function openSession(
  endpoint: SynapseDatabaseEndpoint,
  settings: pg.ClientConfig,
  password: SecretValue | undefined,
  options: SynapseDatabaseConnectOptions,
): Promise<SynapseDatabaseConnection> {
  const database = settings.connectionString === undefined ? settings.database : options.database ?? endpoint.database;
  const client = new pg.Client({
    ...settings,
    // A function: the plaintext is in no property of the client's configuration.
    ...(password === undefined ? {} : { password: () => password.reveal() }),
    application_name: 'matrix-reset',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    ...(options.readOnly === true ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An error on an idle session (the server restarted) must not crash the process; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionRefusal(error, database);
  }
  return Object.freeze({ client, endpoint: Object.freeze({ ...endpoint, database }), close: () => client.end() });
}

/**
 * The code of a failed connection to Synapse's database: a Node code (`ECONNREFUSED`), `SQLSTATE <code>` for a
 * server's refusal, `ETIMEDOUT` for the connect timeout, `password_required` when the server asked for a password
 * and there is none; undefined for anything else (a bug).
 *
 * @example
 * ```ts
 * synapseDatabaseErrorCode(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // 'ECONNREFUSED'
 * ```
 */
export function synapseDatabaseErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return /^[0-9A-Z]{5}$/.test(code) && 'severity' in error ? `SQLSTATE ${code}` : code;
  if (error.message === 'timeout expired' || error.message.startsWith('Connection terminated due to connection timeout')) return 'ETIMEDOUT';
  if (error.message.startsWith('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be')) return 'password_required';
  if (error.message.startsWith('Connection terminated')) return 'ECONNRESET';
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? undefined : synapseDatabaseErrorCode(cause);
}

/** What a code means, in words for a user: never the host, port, role's password or the server's own text. */
export function describeSynapseDatabaseError(code: string): string {
  const sqlstate = code.startsWith('SQLSTATE ') ? code.slice('SQLSTATE '.length) : undefined;
  if (sqlstate === '28P01') return 'the server refused the password';
  if (sqlstate === '28000') return 'the server refused the role (no pg_hba.conf entry, or the role may not log in)';
  if (sqlstate === '3D000') return 'the server has no such database';
  if (sqlstate === '53300') return 'the server has too many connections';
  if (sqlstate?.startsWith('57P') === true) return 'the server is starting up or shutting down';
  if (sqlstate?.startsWith('08') === true) return 'the connection failed';
  if (sqlstate !== undefined) return 'the server refused';
  if (code === 'password_required') return 'the server asks for a password and none is configured';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve from here';
  if (code === 'ETIMEDOUT') return 'the server did not answer in time';
  if (code === 'ECONNREFUSED') return 'nothing listens there';
  return 'the connection failed';
}

function connectionRefusal(error: unknown, database: string | undefined): Error {
  const code = synapseDatabaseErrorCode(error);
  if (code === undefined) return error instanceof Error ? error : new Error(String(error));
  const sqlstate = code.startsWith('SQLSTATE ') ? code.slice('SQLSTATE '.length) : undefined;
  const unavailable = sqlstate === undefined ? code !== 'password_required' : sqlstate.startsWith('08') || sqlstate === '53300' || sqlstate.startsWith('57P');
  const message = `Cannot connect to Synapse's database${database === undefined ? '' : ` ${database}`} (${code}): ${describeSynapseDatabaseError(code)}`;
  return unavailable
    ? new ResetError('database_unavailable', message, { cause: error, nextSteps: ["Check that Synapse's Postgres runs and is reachable from here (synapse.database.host/port in matrix-reset.yaml), then try again."] })
    : new ResetError('environment_incapable', message, {
        cause: error,
        nextSteps: ['Check the role and its password (synapse.database.user/password in matrix-reset.yaml, or homeserver.yaml database.args) and the database name.'],
      });
}

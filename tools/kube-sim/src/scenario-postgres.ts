import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { KubeSimError } from './kube-sim-error.ts';

/** The Postgres server a scenario's databases are made on (trust or password auth, through psql). */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  /** Only passed to psql through `PGPASSWORD`, never on its command line. */
  password: string | undefined;
}

/** A database a scenario asked for: unique per scenario load, owned by a login role of the same name. */
export interface ScenarioDatabase {
  /** The seed's `key` (`synapse`): placeholders name it as `{{ postgres.synapse.database }}`. */
  key: string;
  /** Database and role name: `ks_<8 hex>_<key>`. */
  database: string;
  user: string;
  host: string;
  port: number;
}

/** The variable that names the server (a `postgres://` URL); `DATABASE_URL`'s server when it is not set. */
export const POSTGRES_URL_ENV = 'KUBE_SIM_POSTGRES_URL';

/**
 * The server of `KUBE_SIM_POSTGRES_URL`, else of `DATABASE_URL` (the sandbox exports that for its app database).
 *
 * @example
 * postgresServerFromEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app' }); // { host: '127.0.0.1', port: 5432, user: 'postgres', … }
 */
export function postgresServerFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresServer {
  const text = env[POSTGRES_URL_ENV] || env['DATABASE_URL'] || '';
  if (text === '') {
    throw new KubeSimError({
      code: 'SCENARIO_INVALID',
      message: `the scenario asks for a Postgres database, but neither ${POSTGRES_URL_ENV} nor DATABASE_URL names a server`,
      nextSteps: [`export ${POSTGRES_URL_ENV}=postgres://postgres@127.0.0.1:5432/postgres (a role that may create roles and databases)`, 'Or start kube-sim from the sandbox, which exports DATABASE_URL'],
    });
  }
  const url = new URL(text);
  return {
    host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname,
    port: Number(url.port || '5432'),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

/**
 * Runs SQL read from stdin (so a password in it is never a process argument) against the `postgres` database;
 * returns the unaligned output.
 */
async function psqlStdin(server: PostgresServer, sql: string): Promise<string> {
  const child = spawn('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', server.host, '-p', String(server.port), '-U', server.user, '-d', 'postgres'], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '5', ...(server.password === undefined ? {} : { PGPASSWORD: server.password }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(sql);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new KubeSimError({ code: 'SCENARIO_POSTGRES_FAILED', message: `psql on ${server.host}:${server.port} failed (${String(code)}): ${stderr.trim()}`, nextSteps: [`Check that ${server.user}@${server.host}:${server.port} may create roles and databases`] });
  }
  return stdout.trim();
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Creates a login role with CREATEDB and a database it owns, both `ks_<8 hex>_<key>`, UTF8 with C collation and
 * ctype from template0 (as Synapse requires). Returns the database and the role's new random password.
 *
 * @example
 * const { database, password } = await createScenarioDatabase(postgresServerFromEnv(), 'synapse');
 */
export async function createScenarioDatabase(server: PostgresServer, key: string): Promise<{ database: ScenarioDatabase; password: string }> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(key)) {
    throw new KubeSimError({ code: 'SCENARIO_INVALID', message: `PostgresDatabaseSeed key ${JSON.stringify(key)} is not a lower-case identifier`, nextSteps: ['Use a key such as synapse'] });
  }
  const name = `ks_${randomBytes(4).toString('hex')}_${key}`;
  const password = randomBytes(18).toString('base64url');
  await psqlStdin(server, `CREATE ROLE "${name}" LOGIN CREATEDB PASSWORD ${quoteLiteral(password)};\nCREATE DATABASE "${name}" OWNER "${name}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;\n`);
  return { database: { key, database: name, user: name, host: server.host, port: server.port }, password };
}

/**
 * Drops scenario databases and their roles, with every other database a role came to own (a reset's backup of
 * its database, `<db>__mr_<run>`); connections still open are ended first.
 *
 * @example
 * await dropScenarioDatabases(server, databases);
 */
export async function dropScenarioDatabases(server: PostgresServer, databases: readonly ScenarioDatabase[]): Promise<void> {
  for (const { database, user } of databases) {
    const owned = await psqlStdin(server, `SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = ${quoteLiteral(user)};\n`);
    const names = [...new Set([database, ...owned.split('\n').filter((name) => name !== '')])];
    await psqlStdin(server, `${names.map((name) => `DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE);`).join('\n')}\nDROP ROLE IF EXISTS "${user}";\n`);
  }
}

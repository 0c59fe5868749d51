import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database planted on the sandbox Postgres as a Postgres-backed Synapse's: its own role (with a password) owns it. */
export interface PlantedSynapseDatabase {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly role: string;
  /** The role's password: it must appear in no output, log or plan. */
  readonly password: string;
  /** homeserver.yaml naming this database for psycopg2 (`args` replaces or, as undefined, leaves out arguments). */
  homeserverYaml(args?: Readonly<Record<string, string | number | undefined>>): string;
  /** A session on the database as the role, kept open until `drop` (Synapse's, for the session count). */
  holdSession(): Promise<pg.Client>;
  /** Runs SQL on the database as the server's superuser. */
  query(text: string): Promise<pg.QueryResult>;
  /** Ends the held sessions, drops the database and the role. */
  drop(): Promise<void>;
}

function sandboxUrl(): URL {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') throw new Error('DATABASE_URL is not set: run through the project vitest config (the sandbox sets it)');
  return new URL(url);
}

async function asSuperuser<T>(database: string | undefined, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = sandboxUrl();
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a role `mr_syn_<random>` with a password and a database of the same name it owns (UTF8, C, from
 * template0), holding Synapse's `schema_version` table at `schemaVersion` (none when undefined), on the sandbox
 * Postgres (`DATABASE_URL`). Call `drop()` in the test's cleanup.
 */
export async function plantSynapseDatabase(options: { schemaVersion?: number | undefined } = {}): Promise<PlantedSynapseDatabase> {
  const name = `mr_syn_${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await asSuperuser(undefined, async (client) => {
    await client.query(`CREATE ROLE "${name}" LOGIN PASSWORD '${password}' NOCREATEDB NOSUPERUSER`);
    await client.query(`CREATE DATABASE "${name}" OWNER "${name}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  });
  const server = sandboxUrl();
  const host = server.hostname;
  const port = Number(server.port === '' ? 5432 : server.port);
  const held: pg.Client[] = [];
  const holdSession = async () => {
    const client = new pg.Client({ host, port, database: name, user: name, password, application_name: 'synapse-test' });
    await client.connect();
    held.push(client);
    return client;
  };
  if (options.schemaVersion !== undefined) {
    const session = await holdSession();
    await session.query(`CREATE TABLE schema_version (lock char(1) NOT NULL DEFAULT 'X' UNIQUE, version integer NOT NULL, upgraded boolean NOT NULL, CHECK (lock = 'X'))`);
    await session.query('INSERT INTO schema_version (version, upgraded) VALUES ($1, true)', [options.schemaVersion]);
    await session.end();
    held.pop();
  }
  return {
    host,
    port,
    database: name,
    role: name,
    password,
    homeserverYaml(args = {}) {
      const merged: Record<string, string | number | undefined> = { user: name, password, database: name, host, port, cp_min: 5, cp_max: 10, ...args };
      const lines = Object.entries(merged).flatMap(([key, value]) => (value === undefined ? [] : [`    ${key}: ${typeof value === 'number' ? value : JSON.stringify(value)}`]));
      return ['server_name: synapse.test', 'registration_shared_secret: "not-this-one"', 'database:', '  name: psycopg2', '  args:', ...lines, ''].join('\n');
    },
    holdSession,
    query: (text) => asSuperuser(name, (client) => client.query(text)),
    async drop() {
      for (const client of held.splice(0)) await client.end().catch(() => undefined);
      await asSuperuser(undefined, async (client) => {
        await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
        await client.query(`DROP ROLE IF EXISTS "${name}"`);
      });
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDatabase, emptyDatabase, restoreDatabase, type DumpTarget } from './database-dump.ts';

// Against the sandbox's real Postgres, with the Debian client tools, as a role that owns its database.

const server = new URL(process.env.DATABASE_URL ?? 'postgres://invalid');
let admin: pg.Client;
const database = `mrdump_${randomBytes(4).toString('hex')}`;
const role = `mrdump_role_${randomBytes(3).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
const target: DumpTarget = { host: server.hostname, port: Number(server.port || 5432), database, user: role, password: () => password };

async function asRole<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: target.host, port: target.port, database, user: role, password });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: `${server.protocol}//${server.username || 'postgres'}@${server.host}/postgres` });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin.query(`CREATE DATABASE ${database} OWNER ${role} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  await asRole(async (client) => {
    await client.query('CREATE TABLE users (name text PRIMARY KEY, admin boolean); CREATE SCHEMA synapse_extra; CREATE TABLE synapse_extra.keys (id int)');
    await client.query(`INSERT INTO users SELECT '@u' || n || ':example.test', n = 1 FROM generate_series(1, 500) n`);
  });
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('pg_dump, empty in place, pg_restore', () => {
  it('dumps every row, empties the database (schemas the role owns), and restores it as it was', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'mrdump-')), 'synapse.dump');
    const { bytes } = await dumpDatabase(target, file);
    expect(bytes).toBeGreaterThan(0);
    expect((await readFile(file)).subarray(0, 5).toString()).toBe('PGDMP');

    const dropped = await asRole((client) => emptyDatabase(client));
    expect(dropped).toEqual(['public', 'synapse_extra']);
    const tables = () => asRole(async (client) => (await client.query<{ t: string }>(`SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)).rows.map((r) => r.t));
    expect(await tables()).toEqual([]);

    await restoreDatabase(target, file);
    expect(await tables()).toEqual(['public.users', 'synapse_extra.keys']);
    expect(await asRole(async (client) => (await client.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]?.n)).toBe('500');
  });

  it('a failure is step_failed with the tool\'s words and never the password', async () => {
    const failed = await dumpDatabase({ ...target, database: `${database}_missing` }, join(tmpdir(), `${database}.never`)).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'step_failed' });
    expect((failed as Error).message).toContain(`pg_dump of database ${database}_missing exited 1`);
    expect((failed as Error).message).toContain('does not exist');
    expect(JSON.stringify(failed) + (failed as Error).message).not.toContain(password);
  });
});

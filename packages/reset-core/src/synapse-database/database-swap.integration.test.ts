import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backupDatabaseName,
  createDatabaseLike,
  databaseRights,
  describeDatabase,
  dropDatabase,
  listDatabaseBackups,
  renameDatabase,
  sessionsOn,
  swapRefusal,
  terminateSessions,
} from './database-swap.ts';

// Against the sandbox's real Postgres: each test makes its own database (UTF8, C, from template0, as Synapse wants).

const serverUrl = process.env.DATABASE_URL ?? '';
let admin: pg.Client;
const made: string[] = [];

function urlOf(database: string, user?: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  if (user !== undefined) url.username = user;
  return url.toString();
}

async function freshDatabase(): Promise<string> {
  const name = `mrswap_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  made.push(name);
  const inside = new pg.Client({ connectionString: urlOf(name) });
  await inside.connect();
  await inside.query(`CREATE TABLE users (name text PRIMARY KEY); INSERT INTO users VALUES ('@admin:example.test')`);
  await inside.end();
  return name;
}

async function tablesOf(database: string): Promise<string[]> {
  const inside = new pg.Client({ connectionString: urlOf(database) });
  await inside.connect();
  try {
    return (await inside.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.name);
  } finally {
    await inside.end();
  }
}

beforeAll(async () => {
  if (serverUrl === '') throw new Error('DATABASE_URL is not set: run through vitest.config.ts (the sandbox global setup exports it)');
  admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
});

afterAll(async () => {
  for (const name of made) {
    for (const candidate of [name, ...(await listDatabaseBackups(admin, name)).map((b) => b.name)]) await admin.query(`DROP DATABASE IF EXISTS "${candidate}" WITH (FORCE)`);
  }
  await admin?.end();
});

describe('swapping a Synapse database aside', () => {
  it('renames it under the run, creates an empty one shaped alike, lists the backup, and swaps back', async () => {
    const name = await freshDatabase();
    const before = await describeDatabase(admin, name);
    expect(before).toMatchObject({ name, encoding: 'UTF8', collate: 'C', ctype: 'C' });
    expect(before?.sizeBytes).toBeGreaterThan(0);

    const runId = `r20261202t030000_${randomBytes(4).toString('hex')}`;
    const backup = backupDatabaseName(name, runId);
    await renameDatabase(admin, name, backup);
    await createDatabaseLike(admin, name, before!);

    const after = await describeDatabase(admin, name);
    expect({ ...after, sizeBytes: 0 }).toEqual({ ...before, sizeBytes: 0 });
    expect(await tablesOf(name)).toEqual([]);
    expect(await tablesOf(backup)).toEqual(['users']);
    expect(await listDatabaseBackups(admin, name)).toEqual([{ name: backup, runId, sizeBytes: expect.any(Number) }]);

    // The rollback's swap: the fresh one goes, the backup takes its name back with its rows.
    await dropDatabase(admin, name);
    await renameDatabase(admin, backup, name);
    expect(await tablesOf(name)).toEqual(['users']);
    expect(await listDatabaseBackups(admin, name)).toEqual([]);
  });

  it('refuses to rename a database that still has a session, naming it; ending the sessions lets it through', async () => {
    const name = await freshDatabase();
    const synapse = new pg.Client({ connectionString: urlOf(name), application_name: 'synapse_main' });
    await synapse.connect();
    synapse.on('error', () => undefined);
    try {
      expect((await sessionsOn(admin, name)).map((s) => s.application)).toEqual(['synapse_main']);
      const refused = await renameDatabase(admin, name, `${name}_x`).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'database_in_use' });
      expect((refused as Error).message).toMatch(new RegExp(`Database ${name} still has 1 session: pid \\d+ \\(\\w+, synapse_main`));
      expect(await describeDatabase(admin, name)).toBeDefined();
      expect(await terminateSessions(admin, name)).toBe(1);
      await expect.poll(() => sessionsOn(admin, name)).toEqual([]);
      await renameDatabase(admin, name, backupDatabaseName(name, 'r1'));
      expect(await describeDatabase(admin, name)).toBeUndefined();
    } finally {
      await synapse.end().catch(() => undefined);
    }
  });

  it("names the GRANTs a role without CREATEDB or ownership needs, and has nothing to say for the database's owner with CREATEDB", async () => {
    const name = await freshDatabase();
    const role = `mrswap_role_${randomBytes(3).toString('hex')}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      const asRole = new pg.Client({ connectionString: urlOf('postgres', role) });
      await asRole.connect();
      try {
        const rights = await databaseRights(asRole, name);
        expect(rights).toEqual({ role, superuser: false, createDatabase: false, ownsDatabase: false });
        const refusal = swapRefusal(rights, name);
        expect(refusal).toMatchObject({ code: 'environment_incapable' });
        expect(refusal?.message).toContain(`lacks CREATEDB and ownership of database ${name}`);
        expect(refusal?.nextSteps[0]).toContain(`ALTER ROLE "${role}" CREATEDB; ALTER DATABASE "${name}" OWNER TO "${role}";`);
        await admin.query(`ALTER ROLE ${role} CREATEDB; ALTER DATABASE ${name} OWNER TO ${role}`);
        const granted = await databaseRights(asRole, name);
        expect(granted).toEqual({ role, superuser: false, createDatabase: true, ownsDatabase: true });
        expect(swapRefusal(granted, name)).toBeUndefined();
        // With those rights the role itself swaps the database.
        const shape = (await describeDatabase(asRole, name))!;
        await renameDatabase(asRole, name, backupDatabaseName(name, 'r2'));
        await createDatabaseLike(asRole, name, shape);
        expect((await describeDatabase(admin, name))?.owner).toBe(role);
      } finally {
        await asRole.end();
      }
    } finally {
      for (const db of [name, backupDatabaseName(name, 'r2')]) await admin.query(`ALTER DATABASE "${db}" OWNER TO CURRENT_USER`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it("a backup's name keeps the whole run id within Postgres's 63 bytes", () => {
    const runId = 'r20261202t030000_3fa9c2d1';
    expect(backupDatabaseName('synapse', runId)).toBe(`synapse__mr_${runId}`);
    const long = backupDatabaseName('s'.repeat(60), runId);
    expect(Buffer.byteLength(long)).toBe(63);
    expect(long.endsWith(`__mr_${runId}`)).toBe(true);
  });
});

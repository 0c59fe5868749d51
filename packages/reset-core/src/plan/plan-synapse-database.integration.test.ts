import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { connectEnvironment, type EnvironmentConnection } from '../connection/connect-environment.ts';
import { doctor } from '../doctor/doctor.ts';
import { observePlanState, diffObserved } from './plan-freshness.ts';
import { planEnvironment } from './plan-build.ts';
import { readPlanFile, writePlanFile } from './plan-file.ts';
import type { Plan } from './plan-model.ts';
import { createOpenmeetTenants, sandboxClients, sandboxDb, sandboxSynapse } from '../test-support/doctor-fixtures.ts';
import { plantSynapseDatabase, type PlantedSynapseDatabase } from '../test-support/synapse-postgres.ts';

describe("a plan and the doctor of a Postgres-backed Synapse show its database, and hold no password", () => {
  let planted: PlantedSynapseDatabase;
  let dir: string;
  let env: EnvironmentConfig;
  let connection: EnvironmentConnection;
  let plan: Plan;
  let planText: string;
  let adminToken: string;

  beforeAll(async () => {
    planted = await plantSynapseDatabase({ schemaVersion: 88 });
    const db = sandboxDb();
    const { schemas } = await createOpenmeetTenants(db, [[]]);
    await db.destroy();
    ({
      adminUser: { accessToken: adminToken },
    } = await sandboxClients());
    dir = await mkdtemp(join(tmpdir(), 'plan-synapse-db-'));
    await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${adminToken}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'homeserver.yaml'), planted.homeserverYaml());
    const { url, serverName } = sandboxSynapse();
    const yaml = `
version: 1
environments:
  local:
    synapse:
      url: ${url}
      serverName: ${serverName}
      homeserverConfig: { file: homeserver.yaml }
    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]
    appDatabase:
      url: env:DATABASE_URL
      layout: { preset: openmeet, schemas: { names: [${schemas.join(', ')}] } }
`;
    env = resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), 'local');
    connection = await connectEnvironment(env);
    ({ plan } = await planEnvironment(env, connection, { mode: 'repair' }));
    await writePlanFile(join(dir, 'plan.json'), plan);
    planText = await readFile(join(dir, 'plan.json'), 'utf8');
  });

  afterAll(async () => {
    await connection?.close();
    await planted?.drop();
  });

  it("records the database's endpoint, shape, rights and schema version in the plan's observed storage", () => {
    expect(plan.observed.storage).toMatchObject({
      engine: 'psycopg2',
      pvcDeletionWipesUsers: false,
      database: {
        reachable: true,
        endpoint: { host: planted.host, port: planted.port, database: planted.database, user: planted.role, password: 'homeserver.yaml' },
        database: { owner: planted.role, encoding: 'UTF8', collate: 'C', ctype: 'C' },
        role: { ownsDatabase: true, createDatabase: false, superuser: false },
        schema: { state: 'present', version: 88 },
      },
    });
  });

  it('writes a plan file holding neither the password nor a URL, that reads back with its checksum', async () => {
    expect(planText).not.toContain(planted.password);
    expect(planText).not.toContain('postgres://');
    expect(planText).not.toContain(adminToken);
    expect((await readPlanFile(join(dir, 'plan.json'))).observed.storage.database).toEqual(plan.observed.storage.database);
  });

  it("stays fresh while the database grows and sessions come and go, and goes stale when its owner changes", async () => {
    const session = await planted.holdSession();
    await session.query('CREATE TABLE events (id serial PRIMARY KEY, body text)');
    await session.query(`INSERT INTO events (body) SELECT repeat('x', 1000) FROM generate_series(1, 2000)`);
    const grown = await observePlanState(env, connection);
    expect(grown.observation.synapseDatabase).toMatchObject({ reachable: true, connections: 1 });
    expect(diffObserved(plan.observed, grown.observed)).toEqual([]);

    await planted.query(`ALTER DATABASE "${planted.database}" OWNER TO postgres`);
    try {
      const changed = diffObserved(plan.observed, (await observePlanState(env, connection)).observed);
      // Since Postgres 15 schema public belongs to the database's owner (pg_database_owner): the role lost it too.
      expect(changed.map((c) => c.path)).toEqual([
        'storage.database.database.owner',
        'storage.database.role.notOwnedSchemas[]',
        'storage.database.role.notOwnedSchemas[public]',
        'storage.database.role.ownsDatabase',
      ]);
    } finally {
      await planted.query(`ALTER DATABASE "${planted.database}" OWNER TO "${planted.role}"`);
      await session.end();
    }
  });

  it('the doctor with storage reports the same database, without the password', async () => {
    const report = await doctor(env, connection, { storage: true });
    expect(report.storage?.storage).toMatchObject({ engine: 'psycopg2', user: planted.role, database: planted.database });
    expect(report.storage?.database).toMatchObject({ reachable: true, schema: { state: 'present', version: 88 } });
    expect(JSON.stringify(report)).not.toContain(planted.password);
    expect((await doctor(env, connection)).storage).toBeUndefined();
  });
});

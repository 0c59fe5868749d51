import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSecretStore } from '@matrix-reset/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { connectSynapseDatabase, resolveSynapseDatabase } from '../connection/connect-synapse-database.ts';
import { isResetError } from '../reset-error.ts';
import { plantSynapseDatabase, type PlantedSynapseDatabase } from '../test-support/synapse-postgres.ts';
import { observeSynapseDatabase, type SynapseDatabaseObservation } from './observe-synapse-database.ts';

const deps = { kube: undefined, openSecretStore: (reference: string) => openSecretStore(reference) };

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("observeSynapseDatabase: a Postgres-backed Synapse's database", () => {
  let planted: PlantedSynapseDatabase;
  let dir: string;

  /** An environment whose homeserver.yaml is `homeserver` and whose synapse.database is `database` (YAML flow text). */
  async function environment(homeserver: string, database?: string): Promise<EnvironmentConfig> {
    const file = `homeserver-${Math.random().toString(36).slice(2)}.yaml`;
    await writeFile(join(dir, file), homeserver);
    const yaml = [
      'version: 1',
      'environments:',
      '  local:',
      '    synapse:',
      '      url: http://127.0.0.1:8008',
      '      serverName: synapse.test',
      `      homeserverConfig: { file: ${file} }`,
      ...(database === undefined ? [] : [`      database: ${database}`]),
      '    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]',
      '    appDatabase: { url: env:DATABASE_URL, layout: openmeet }',
      '',
    ].join('\n');
    return resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), 'local');
  }

  const observeIn = async (env: EnvironmentConfig): Promise<SynapseDatabaseObservation> => observeSynapseDatabase(resolveSynapseDatabase(env, deps));

  beforeAll(async () => {
    planted = await plantSynapseDatabase({ schemaVersion: 88 });
    dir = await mkdtemp(join(tmpdir(), 'synapse-db-'));
    await writeFile(join(dir, '.env'), `SYNAPSE_DB_PASSWORD=${planted.password}\nSYNAPSE_DB_URL=postgres://${planted.role}:${planted.password}@${planted.host}:${planted.port}/${planted.database}\nEMPTY=\n`, {
      mode: 0o600,
    });
  });

  afterAll(async () => {
    await planted?.drop();
  });

  it("connects with homeserver.yaml's psycopg2 args, its password included, and reports the server, the database's shape, the role's rights and the schema version", async () => {
    const synapse = await planted.holdSession();
    const seen = await observeIn(await environment(planted.homeserverYaml()));
    expect(seen).toMatchObject({
      reachable: true,
      endpoint: { host: planted.host, port: planted.port, database: planted.database, user: planted.role, from: 'homeserver.yaml', overridden: [], password: 'homeserver.yaml', tls: 'off' },
      database: { name: planted.database, owner: planted.role, encoding: 'UTF8', collate: 'C', ctype: 'C' },
      role: { name: planted.role, superuser: false, createDatabase: false, ownsDatabase: true },
      connections: 1,
      schema: { state: 'present', version: 88 },
    });
    if (!seen.reachable) throw new Error('unreachable');
    expect(seen.server.version).toMatch(/^\d+(\.\d+)?/);
    expect(seen.server.versionNum).toBeGreaterThanOrEqual(120_000);
    expect(seen.database.sizeBytes).toBeGreaterThan(1_000_000);
    expect(seen.otherDatabases.names).toContain('postgres');
    expect(seen.otherDatabases.names).not.toContain(planted.database);
    expect(seen.otherDatabases.names).not.toContain('template0');
    expect(seen.otherDatabases.count).toBeGreaterThanOrEqual(seen.otherDatabases.names.length);
    expect(Object.isFrozen(seen)).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(planted.password);
    await synapse.end();
  });

  it('takes the password from synapse.database.password and the host and port from synapse.database when given', async () => {
    const env = await environment(planted.homeserverYaml({ password: undefined, host: 'synapse-postgres.matrix.svc.cluster.local', port: 6543 }), `{ host: ${planted.host}, port: ${planted.port}, password: dotenv:.env#SYNAPSE_DB_PASSWORD }`);
    const seen = await observeIn(env);
    expect(seen).toMatchObject({ reachable: true, endpoint: { host: planted.host, port: planted.port, overridden: ['host', 'port', 'password'], password: 'synapse.database.password' } });
  });

  it("hands the password it read (homeserver.yaml's, the reference's or the URL's) to the connection and to client tools only", async () => {
    // The sandbox's Postgres trusts every local connection: the server cannot tell a wrong password, so this checks
    // that the value the connection and pg_dump's PGPASSWORD get is the one configured, from each source.
    const fromHomeserver = await resolveSynapseDatabase(await environment(planted.homeserverYaml()), deps);
    const fromReference = await resolveSynapseDatabase(await environment(planted.homeserverYaml({ password: 'not-this' }), '{ password: dotenv:.env#SYNAPSE_DB_PASSWORD }'), deps);
    const fromUrl = await resolveSynapseDatabase(await environment(planted.homeserverYaml(), '{ url: dotenv:.env#SYNAPSE_DB_URL }'), deps);
    const none = await resolveSynapseDatabase(await environment(planted.homeserverYaml({ password: undefined })), deps);
    expect([fromHomeserver, fromReference, fromUrl, none].map((access) => access.revealPassword())).toEqual([planted.password, planted.password, planted.password, undefined]);
    expect(none.endpoint.password).toBe('none');
    for (const access of [fromHomeserver, fromReference, fromUrl]) {
      expect(JSON.stringify(access)).not.toContain(planted.password);
      const session = await access.connect();
      try {
        expect(JSON.stringify(session.endpoint)).not.toContain(planted.password);
      } finally {
        await session.close();
      }
    }
  });

  it('takes everything from synapse.database.url, and reports where without the password', async () => {
    const seen = await observeIn(await environment(planted.homeserverYaml({ host: 'elsewhere.invalid' }), '{ url: dotenv:.env#SYNAPSE_DB_URL }'));
    expect(seen).toMatchObject({ reachable: true, endpoint: { host: planted.host, port: planted.port, database: planted.database, user: planted.role, from: 'url', password: 'synapse.database.url' } });
    expect(JSON.stringify(seen)).not.toContain(planted.password);
  });

  it('reports a server that does not answer by its code, without host, port or password, instead of throwing', async () => {
    const port = await closedPort();
    const seen = await observeIn(await environment(planted.homeserverYaml({ port })));
    expect(seen).toMatchObject({ reachable: false, endpoint: { port }, error: { code: 'ECONNREFUSED' } });
    if (seen.reachable) throw new Error('reachable');
    expect(seen.error.message).toContain('nothing listens there');
    for (const hidden of [String(port), planted.host, planted.password]) expect(seen.error.message).not.toContain(hidden);
  });

  it('reports a database the server does not have as SQLSTATE 3D000', async () => {
    const seen = await observeIn(await environment(planted.homeserverYaml({ database: `${planted.database}_gone` })));
    expect(seen).toMatchObject({ reachable: false, error: { code: 'SQLSTATE 3D000' } });
  });

  it('reports a password reference holding nothing as config_invalid naming its line', async () => {
    const env = await environment(planted.homeserverYaml(), '{ password: dotenv:.env#EMPTY }');
    const seen = await observeIn(env);
    expect(seen).toMatchObject({ reachable: false, endpoint: undefined, error: { code: 'config_invalid' } });
    if (seen.reachable) throw new Error('reachable');
    expect(seen.error.message).toContain(`${join(dir, 'matrix-reset.yaml')}:8:`);
    expect(seen.error.message).toContain('environments.local.synapse.database.password');
  });

  it('reports an empty database (no schema_version: Synapse has not created its schema yet) as absent', async () => {
    const empty = await plantSynapseDatabase();
    try {
      const seen = await observeIn(await environment(empty.homeserverYaml()));
      expect(seen).toMatchObject({ reachable: true, schema: { state: 'absent' }, connections: 0 });
    } finally {
      await empty.drop();
    }
  });

  it('reports a schema_version the role may not read as unreadable, with its SQLSTATE', async () => {
    const other = await plantSynapseDatabase({ schemaVersion: 90 });
    try {
      await other.query(`REVOKE ALL ON schema_version FROM "${other.role}"; ALTER TABLE schema_version OWNER TO postgres`);
      const seen = await observeIn(await environment(other.homeserverYaml()));
      expect(seen).toMatchObject({ reachable: true, schema: { state: 'unreadable', code: 'SQLSTATE 42501' } });
    } finally {
      await other.drop();
    }
  });

  it('connectSynapseDatabase opens a session on another database of the server for the steps, read-only when asked', async () => {
    const env = await environment(planted.homeserverYaml());
    const session = await connectSynapseDatabase(env, deps, { database: 'postgres', readOnly: true });
    try {
      expect(session.endpoint).toMatchObject({ database: 'postgres', user: planted.role });
      const { rows } = await session.client.query<{ name: string }>('SELECT current_database() AS name');
      expect(rows[0]?.name).toBe('postgres');
      const write = await session.client.query('CREATE TABLE mr_should_not_exist (id int)').then(
        () => undefined,
        (error: unknown) => (error as { code?: string }).code,
      );
      expect(write).toBe('25006');
    } finally {
      await session.close();
    }
  });

  it('connectSynapseDatabase refuses a SQLite-backed Synapse as environment_incapable', async () => {
    const env = await environment('database:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\n');
    const error = await connectSynapseDatabase(env, deps).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isResetError(error, 'environment_incapable')).toBe(true);
    expect((error as Error).message).toContain('SQLite (/data/homeserver.db)');
  });
});

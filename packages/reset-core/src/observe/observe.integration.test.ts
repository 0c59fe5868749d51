import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEnvironment, type EnvironmentConnection } from '../connection/connect-environment.ts';
import { observe, type Observation } from './observe.ts';
import { storageFromHomeserverYaml } from './observe-homeserver.ts';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { createOpenmeetTenants, registerUser, sandboxClients, sandboxDb, sandboxSynapse, uniqueSuffix, usersChecksum } from '../test-support/doctor-fixtures.ts';

describe('storageFromHomeserverYaml', () => {
  it('sees SQLite on the claim mount: deleting the PVC wipes users', () => {
    const storage = storageFromHomeserverYaml('database:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\n', 'pod', { data: '/data' });
    expect(storage).toMatchObject({ engine: 'sqlite3', onClaimTemplate: 'data', pvcDeletionWipesUsers: true });
  });

  it('sees an external Postgres: deleting the PVC invalidates no token; keeps the user, not the password', () => {
    const text = 'database:\n  name: psycopg2\n  args:\n    host: db.internal\n    port: 5432\n    user: synapse_user\n    database: synapse\n    password: hunter2\n';
    const storage = storageFromHomeserverYaml(text, 'pod', { data: '/data' });
    expect(storage).toMatchObject({ engine: 'psycopg2', host: 'db.internal', port: 5432, database: 'synapse', user: 'synapse_user', pvcDeletionWipesUsers: false });
    expect(JSON.stringify(storage)).not.toContain('hunter2');
  });

  it('a homeserver.yaml without a database: section is an unknown storage saying where to point, not a guessed SQLite', () => {
    const storage = storageFromHomeserverYaml('server_name: matrix.example.test\nmedia_store_path: /synapse/data/media\n', 'ConfigMap matrix/matrix-synapse key homeserver.yaml', { media: '/synapse/data' });
    expect(storage).toMatchObject({ engine: 'unknown', pvcDeletionWipesUsers: 'unknown' });
    expect((storage as { reason: string }).reason).toContain('no database: section');
  });

  it('reports an unknown engine with the reason', () => {
    expect(storageFromHomeserverYaml('database:\n  name: mysql\n', 'file x')).toMatchObject({ engine: 'unknown', pvcDeletionWipesUsers: 'unknown' });
  });
});

describe('observe on a local environment (no Kubernetes)', () => {
  let dir: string;
  let env: EnvironmentConfig;
  let connection: EnvironmentConnection;
  let seen: Observation;
  let schemas: string[];
  let adminToken: string;
  let checksumsBefore: string[];

  beforeAll(async () => {
    const db = sandboxDb();
    const { client, adminUser } = await sandboxClients();
    adminToken = adminUser.accessToken;
    const alice = await registerUser(client, `obs-${uniqueSuffix()}`);
    ({ schemas } = await createOpenmeetTenants(db, [[{ slug: 'a', matrixUserId: alice.userId, matrixAccessToken: alice.accessToken, matrixDeviceId: alice.deviceId }], []]));
    checksumsBefore = await Promise.all(schemas.map((schema) => usersChecksum(db, schema)));
    await db.destroy();

    dir = await mkdtemp(join(tmpdir(), 'observe-'));
    await writeFile(join(dir, '.env'), `OTHER=1\nMATRIX_ADMIN_ACCESS_TOKEN=${adminToken}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'homeserver.yaml'), 'server_name: x\nregistration_shared_secret: s3cret-in-homeserver\ndatabase:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\n');
    const { url, serverName } = sandboxSynapse();
    const yaml = `
version: 1
environments:
  local:
    synapse:
      url: ${url}
      serverName: ${serverName}
      sharedSecret: env:SYNAPSE_SHARED_SECRET_FILE
      homeserverConfig: { file: homeserver.yaml }
    adminToken:
      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }
    appDatabase:
      url: env:DATABASE_URL
      layout: { preset: openmeet, schemas: { names: [${schemas.join(', ')}] } }
`;
    env = resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), 'local');
    connection = await connectEnvironment(env);
    seen = await observe(env, connection);
  });

  afterAll(async () => {
    await connection?.close();
  });

  it('connects with the admin token from the first target holding one', () => {
    expect(connection.adminTokenSource).toBe(`dotenv:${join(dir, '.env')}#MATRIX_ADMIN_ACCESS_TOKEN`);
    expect(connection.synapse.hasAccessToken).toBe(true);
  });

  it('reads Synapse version and native auth mode', () => {
    expect(seen.synapse.serverVersion).toMatch(/^\d+\.\d+/);
    expect(seen.synapse.authMode).toBe('native');
  });

  it('reads where Synapse keeps its data from homeserver.yaml', () => {
    expect(seen.storage).toMatchObject({ engine: 'sqlite3', databasePath: '/data/homeserver.db', source: `file ${join(dir, 'homeserver.yaml')}` });
  });

  it('describes each secret target with existence and version, never the value', () => {
    const roles = seen.secrets.map((s) => [s.role, s.kind, s.exists]);
    expect(roles).toEqual([
      ['shared-secret', 'env', true],
      ['admin-token', 'dotenv', true],
      ['admin-user', 'dotenv', false],
    ]);
    expect(seen.secrets[1]?.version).toBeDefined();
    const text = JSON.stringify(seen);
    expect(text).not.toContain(adminToken);
    expect(text).not.toContain('s3cret-in-homeserver');
  });

  it('counts the app database credentials per schema', () => {
    expect(seen.appDatabase.inventory.map((i) => [i.schema, i.withCredentials])).toEqual([
      [schemas[0], 1],
      [schemas[1], 0],
    ]);
    expect(seen.appDatabase.schemas.every((s) => s.usable)).toBe(true);
  });

  it('has no Kubernetes section, no Synapse database (SQLite), and is frozen', () => {
    expect(seen.kubernetes).toBeUndefined();
    expect(seen.synapseDatabase).toBeUndefined();
    expect(Object.isFrozen(seen.secrets[0])).toBe(true);
  });

  it('writes nothing', async () => {
    const db = sandboxDb();
    try {
      expect(await Promise.all(schemas.map((schema) => usersChecksum(db, schema)))).toEqual(checksumsBefore);
    } finally {
      await db.destroy();
    }
  });
});

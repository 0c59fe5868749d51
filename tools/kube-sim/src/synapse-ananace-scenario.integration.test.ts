import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { postgresServerFromEnv, type ScenarioDatabase } from './scenario-postgres.ts';
import { kubectl } from './test-support/kubectl.ts';
import { registerWithSharedSecret } from './test-support/synapse-registration.ts';

const run = promisify(execFile);
const NS = 'matrix';

let sim: KubeSim;
let database: ScenarioDatabase;
const k = (args: string[]) => kubectl(sim.kubeconfigPath, args);

/** One query on the scenario's database on the sandbox's Postgres, as the user kube-sim made it with (psql, unaligned). */
async function psql(sql: string, databaseName = database.database): Promise<string> {
  const server = postgresServerFromEnv();
  const env = { ...process.env, ...(server.password === undefined ? {} : { PGPASSWORD: server.password }) };
  const { stdout } = await run('psql', ['-X', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', database.host, '-p', String(database.port), '-U', server.user, '-d', databaseName, '-c', sql], { env, timeout: 15_000 });
  return stdout.trim();
}

async function secretValue(name: string, key: string): Promise<string> {
  const result = await k(['get', 'secret', name, '-n', NS, '-o', `jsonpath={.data.${key.replace(/\./g, '\\.')}}`]);
  return Buffer.from(result.stdout, 'base64').toString('utf8');
}

beforeAll(async () => {
  sim = await startKubeSim({ scenario: 'synapse-ananace' });
  database = sim.scenarioDatabases[0] as ScenarioDatabase;
  expect((await k(['rollout', 'status', 'deployment/matrix-synapse', '-n', NS, '--timeout=120s'])).code).toBe(0);
});

afterAll(async () => {
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

describe('the synapse-ananace scenario', () => {
  it('makes the Synapse database on the sandbox Postgres UTF8 with C collation, owned by its own role', async () => {
    expect(database.database).toMatch(/^ks_[0-9a-f]{8}_synapse$/);
    const row = await psql(`SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, r.rolname, r.rolcreatedb FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = '${database.database}'`, 'postgres');
    expect(row).toBe(`UTF8|C|C|${database.user}|t`);
  });

  it('runs Synapse on that Postgres: a user registered through the Service is a row in its users table', async () => {
    const clusterIP = (await k(['get', 'service', 'matrix-synapse', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const user = `ananace${randomBytes(4).toString('hex')}`;
    const registered = await registerWithSharedSecret({
      url: `http://${clusterIP}:8008`,
      sharedSecret: await secretValue('matrix-synapse-registration', 'SYNAPSE_REGISTRATION_SHARED_SECRET'),
      user,
      password: randomBytes(12).toString('base64url'),
    });
    expect(registered).toEqual({ status: 200, userId: `@${user}:matrix-ananace.openmeet.test` });
    expect(await psql(`SELECT name FROM users WHERE name = '@${user}:matrix-ananace.openmeet.test'`)).toBe(`@${user}:matrix-ananace.openmeet.test`);
  });

  it('signs with the key from its Secret', async () => {
    const keyId = (await secretValue('matrix-synapse-signingkey', 'signing.key')).split(' ')[1];
    const clusterIP = (await k(['get', 'service', 'matrix-synapse', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const keys = (await (await fetch(`http://${clusterIP}:8008/_matrix/key/v2/server`)).json()) as { verify_keys: Record<string, unknown> };
    expect(Object.keys(keys.verify_keys)).toEqual([`ed25519:${keyId}`]);
  });

  it('lists the chart-labelled Synapse Deployment, its media PVC and the app with kubectl', async () => {
    expect((await k(['get', 'deployments', '-n', NS, '-l', 'app.kubernetes.io/name=matrix-synapse,app.kubernetes.io/component=synapse', '-o', 'name'])).stdout.trim()).toBe('deployment.apps/matrix-synapse');
    expect((await k(['get', 'pvc', 'matrix-synapse', '-n', NS, '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Bound');
    expect((await k(['rollout', 'status', 'deployment/openmeet-api', '-n', NS, '--timeout=60s'])).code).toBe(0);
  });

  it("drops the database, any other its role came to own (a reset's backup) and the role when kube-sim stops", async () => {
    const backup = `${database.database}__mr_test`;
    // The role's own CREATEDB right, as a reset uses it (trust auth on the sandbox's server: no password needed).
    await run('psql', ['-X', '-q', '-h', database.host, '-p', String(database.port), '-U', database.user, '-d', database.database, '-c', `CREATE DATABASE "${backup}"`], { timeout: 15_000 });
    expect(await psql(`SELECT count(*) FROM pg_database WHERE datname = '${backup}'`, 'postgres')).toBe('1');
    await sim.stop();
    expect(await psql(`SELECT count(*) FROM pg_database WHERE datname IN ('${database.database}', '${backup}')`, 'postgres')).toBe('0');
    expect(await psql(`SELECT count(*) FROM pg_roles WHERE rolname = '${database.user}'`, 'postgres')).toBe('0');
  });
});

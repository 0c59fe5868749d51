import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { postgresServerFromEnv, type ScenarioDatabase } from './scenario-postgres.ts';
import { kubectl } from './test-support/kubectl.ts';
import { registerWithSharedSecret } from './test-support/synapse-registration.ts';

const run = promisify(execFile);
const NS = 'matrix';
const SERVER_NAME = 'matrix-ananace.openmeet.test';
/** The selector matrix-reset.yaml's kubernetes.workers.selector takes for this chart (see the scenario's header). */
const WORKERS_SELECTOR = 'app.kubernetes.io/name=matrix-synapse,app.kubernetes.io/component!=synapse';

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

async function clusterIP(service: string): Promise<string> {
  return (await k(['get', 'service', service, '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
}

async function podOf(selector: string): Promise<string> {
  return (await k(['get', 'pods', '-n', NS, '-l', selector, '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
}

/** redis-cli in the Redis pod, authenticated as its readiness probe is (REDISCLI_AUTH from the container's env). */
async function redisCli(command: string): Promise<string> {
  const pod = await podOf('app.kubernetes.io/name=redis');
  const result = await k(['exec', pod, '-n', NS, '--', 'sh', '-c', `REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ${command}`]);
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

/** A client API call with a user's access token, answering the parsed body (asserting a 200). */
async function clientApi(url: string, accessToken: string, init: { method?: string; body?: unknown } = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** A user registered through the main process's Service, logged in there: its id and access token. */
async function registeredUser(mainUrl: string): Promise<{ userId: string; accessToken: string }> {
  const user = `worker${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const registered = await registerWithSharedSecret({ url: mainUrl, sharedSecret: await secretValue('matrix-synapse-registration', 'SYNAPSE_REGISTRATION_SHARED_SECRET'), user, password });
  expect(registered.status).toBe(200);
  const login = await fetch(`${mainUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
  expect(login.status).toBe(200);
  const body = (await login.json()) as { user_id: string; access_token: string };
  return { userId: body.user_id, accessToken: body.access_token };
}

beforeAll(async () => {
  sim = await startKubeSim({ scenario: 'synapse-ananace' });
  database = sim.scenarioDatabases[0] as ScenarioDatabase;
  expect((await k(['rollout', 'status', 'deployment/matrix-synapse', '-n', NS, '--timeout=120s'])).code).toBe(0);
  expect((await k(['rollout', 'status', 'deployment/matrix-synapse-redis-master', '-n', NS, '--timeout=60s'])).code).toBe(0);
  // The worker's first start can find the database not yet prepared by the main process (Synapse's worker then
  // exits, as in a cluster) and come up on its restart.
  expect((await k(['rollout', 'status', 'deployment/matrix-synapse-generic-worker', '-n', NS, '--timeout=120s'])).code).toBe(0);
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

  it('runs the generic worker beside the main process, and Redis, as the chart with workers does (kubectl)', async () => {
    const names = async (kind: string, selector: string) => (await k(['get', kind, '-n', NS, '-l', selector, '-o', 'name'])).stdout.trim().split('\n').filter((line) => line !== '').sort();
    expect(await names('deployments', 'app.kubernetes.io/name=matrix-synapse')).toEqual(['deployment.apps/matrix-synapse', 'deployment.apps/matrix-synapse-generic-worker']);
    expect(await names('deployments', 'app.kubernetes.io/component=generic-worker')).toEqual(['deployment.apps/matrix-synapse-generic-worker']);
    expect(await names('deployments', 'app.kubernetes.io/component=synapse')).toEqual(['deployment.apps/matrix-synapse']);
    const redisPods = await k(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=redis,app.kubernetes.io/component=master', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}']);
    expect(redisPods.stdout.trim()).toMatch(/^matrix-synapse-redis-master-\S+ Running$/);
  });

  it('selects exactly the worker Deployments with the workers selector, neither the main one nor Redis', async () => {
    const selected = await k(['get', 'deployments,statefulsets', '-n', NS, '-l', WORKERS_SELECTOR, '-o', 'name']);
    expect(selected.stdout.trim()).toBe('deployment.apps/matrix-synapse-generic-worker');
    // Redis shares the release's instance label: a selector on it alone would take Redis for a worker.
    const byInstance = await k(['get', 'deployments', '-n', NS, '-l', 'app.kubernetes.io/instance=matrix-synapse,app.kubernetes.io/component!=synapse', '-o', 'name']);
    expect(byInstance.stdout.trim().split('\n').sort()).toEqual(['deployment.apps/matrix-synapse-generic-worker', 'deployment.apps/matrix-synapse-redis-master']);
  });

  it('runs Redis with a password: without it redis-cli is refused, with it both Synapse processes are subscribed', async () => {
    const pod = await podOf('app.kubernetes.io/name=redis');
    expect((await k(['exec', pod, '-n', NS, '--', 'redis-cli', 'ping'])).stdout).toContain('NOAUTH');
    // The worker's readiness (its /health) can come a moment before its SUBSCRIBE.
    let subscribers = '';
    for (let attempt = 0; attempt < 60 && subscribers !== `${SERVER_NAME}\n2`; attempt += 1) {
      if (attempt > 0) await sleep(500);
      subscribers = await redisCli(`pubsub numsub ${SERVER_NAME}`);
    }
    expect(subscribers).toBe(`${SERVER_NAME}\n2`);
  });

  it('puts the Redis password on no command line of any process kube-sim started', async () => {
    const password = await secretValue('matrix-synapse-redis', 'redis-password');
    expect(password.length).toBeGreaterThan(0);
    const withPassword: string[] = [];
    for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
      const commandLine = await readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0));
      if (commandLine.includes(password)) withPassword.push(pid);
    }
    expect(withPassword).toEqual([]);
  });

  it('serves the client API from the generic worker on its Service, for a user registered through the main process', async () => {
    const workerUrl = `http://${await clusterIP('matrix-synapse-generic-worker')}:8083`;
    const versions = await fetch(`${workerUrl}/_matrix/client/versions`);
    expect(versions.status).toBe(200);
    expect((await versions.json()) as { versions: string[] }).toMatchObject({ versions: expect.arrayContaining(['v1.11']) });
    const { userId, accessToken } = await registeredUser(`http://${await clusterIP('matrix-synapse')}:8008`);
    expect(await clientApi(`${workerUrl}/_matrix/client/v3/account/whoami`, accessToken)).toMatchObject({ user_id: userId });
  });

  it("delivers a message sent through the main process to a /sync waiting on the worker (replication over Redis)", async () => {
    const mainUrl = `http://${await clusterIP('matrix-synapse')}:8008`;
    const workerUrl = `http://${await clusterIP('matrix-synapse-generic-worker')}:8083`;
    const { accessToken } = await registeredUser(mainUrl);
    const { room_id: roomId } = (await clientApi(`${mainUrl}/_matrix/client/v3/createRoom`, accessToken, { method: 'POST', body: {} })) as { room_id: string };
    let since = String((await clientApi(`${workerUrl}/_matrix/client/v3/sync?timeout=0`, accessToken))['next_batch']);
    // The worker's long-poll returns once replication tells it of new events (without replication, at its timeout
    // with nothing: Redis scaled to 0 fails this test); it can also return for other news first, so it is polled
    // again, three times at most (within the test's timeout).
    const body = `through the main process ${randomBytes(4).toString('hex')}`;
    const waiting = (async () => {
      for (let round = 0; round < 3; round += 1) {
        const sync = await clientApi(`${workerUrl}/_matrix/client/v3/sync?timeout=30000&since=${encodeURIComponent(since)}`, accessToken);
        since = String(sync['next_batch']);
        const timeline = ((sync['rooms'] as { join?: Record<string, { timeline?: { events?: Array<{ type: string; content?: { body?: string } }> } }> } | undefined)?.join?.[roomId]?.timeline?.events) ?? [];
        const message = timeline.find((event) => event.type === 'm.room.message');
        if (message !== undefined) return message.content?.body;
      }
      return undefined;
    })();
    await clientApi(`${mainUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${randomBytes(6).toString('hex')}`, accessToken, { method: 'PUT', body: { msgtype: 'm.text', body } });
    expect(await waiting).toBe(body);
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

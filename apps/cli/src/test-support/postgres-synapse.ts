import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { ScenarioCluster } from './kube-sim-scenario.ts';
import { databaseUrl } from './openmeet-database.ts';
import { tempDir } from './run-cli.ts';

const exec = promisify(execFile);

/** Where a psql session goes: the password travels in PGPASSWORD, the SQL on stdin, neither as an argument. */
export interface PsqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Runs `sqlText` with psql (unaligned, tuples only, stopping at the first error); its stdout. */
export async function psqlAt(target: PsqlTarget | string, sqlText: string): Promise<string> {
  const args = typeof target === 'string' ? [target] : ['-h', target.host, '-p', String(target.port), '-U', target.user, '-d', target.database];
  const env = typeof target === 'string' ? process.env : { ...process.env, PGPASSWORD: target.password };
  const run = exec('psql', [...args, '-X', '-v', 'ON_ERROR_STOP=1', '-qAt', '-f', '-'], { env });
  run.child.stdin?.end(sqlText);
  return (await run).stdout;
}

/** The lines psql printed, empty ones left out. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** A user Synapse registered through its shared-secret registration: id, token, device. */
export interface RegisteredUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** Registers `username` on the Synapse at `baseUrl` with its registration shared secret (Synapse's admin register API). */
export async function registerWithSharedSecret(baseUrl: string, sharedSecret: string, username: string, admin: boolean): Promise<RegisteredUser> {
  const url = `${baseUrl}/_synapse/admin/v1/register`;
  const { nonce } = (await (await fetch(url)).json()) as { nonce: string };
  const password = randomBytes(12).toString('hex');
  const mac = createHmac('sha1', sharedSecret).update(`${nonce}\0${username}\0${password}\0${admin ? 'admin' : 'notadmin'}`).digest('hex');
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nonce, username, password, admin, mac }) });
  if (!response.ok) throw new Error(`registering ${username} answered ${response.status}`);
  const body = (await response.json()) as { user_id: string; access_token: string; device_id: string };
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

/** Waits until Synapse at `baseUrl` answers /health with 200. */
export async function waitForSynapse(baseUrl: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`Synapse at ${baseUrl} did not become healthy within ${timeoutMs} ms`);
}

/** A Synapse on Postgres in a kube-sim scenario, with an app tenant whose rows hold tokens it issued. */
export interface PostgresSynapseSandbox {
  readonly cluster: ScenarioCluster;
  /** The scenario's shape: `ess` (StatefulSet beside its own Postgres) or `ananace` (Deployment and a worker on the sandbox's Postgres). */
  readonly shape: 'ess' | 'ananace';
  /** The matrix-reset environment's name (unique: the journal is shared with other tests). */
  readonly environment: string;
  readonly dir: string;
  readonly configPath: string;
  /** MATRIX_RESET_CONFIG and MATRIX_RESET_ENV for the CLI. */
  readonly env: Record<string, string>;
  /** Synapse through its Service's ClusterIP (from outside the cluster). */
  readonly synapseUrl: string;
  readonly serverName: string;
  /** Synapse's database. */
  readonly database: string;
  /** The role Synapse connects as, and its password (to hold a session as Synapse would). */
  readonly synapseRole: { readonly user: string; readonly password: string };
  /** The database server as a superuser; `database` picks the database. */
  readonly postgres: (database: string) => PsqlTarget;
  /** synapse.database (flow YAML) as a role that may replace the database. */
  readonly databaseConfig: string;
  readonly schema: string;
  /** The app rows' keys, in order: `users[i]`'s row, then one row without credentials. */
  readonly keys: readonly number[];
  readonly admin: RegisteredUser;
  readonly users: readonly RegisteredUser[];
  /** Synapse's registration shared secret. */
  readonly sharedSecret: string;
  /** Every secret planted or generated (passwords, shared secret, tokens): none may appear in any output. */
  readonly secrets: readonly string[];
  /**
   * Writes another matrix-reset.yaml beside the first, with `database` as its synapse.database (flow YAML),
   * `homeserverConfig` and `workers` (kubernetes.workers) if given; its path.
   */
  writeConfig(name: string, options: { database: string; homeserverConfig?: string; workers?: string | null }): Promise<string>;
  /** The uid of Synapse's media claim. */
  mediaClaimUid(): Promise<string>;
}

/** What differs between the shapes: where things are in the scenario. */
interface Shape {
  readonly shape: PostgresSynapseSandbox['shape'];
  readonly namespace: string;
  readonly serverName: string;
  readonly synapseService: string;
  readonly mediaClaim: string;
  /** kubernetes: lines naming the workload (and its workers). */
  readonly workload: readonly string[];
  readonly workers: string | undefined;
  /** synapse: the line saying how to reach it (`portForward: ...`, or `url:` with the Service's address filled in). */
  readonly reach: (serviceUrl: string) => string;
  readonly sharedSecret: { readonly secret: string; readonly key: string };
  readonly homeserverConfig: string;
  /** Every workload of Synapse, waited for (`kubectl rollout status`) before the plan observes them. */
  readonly rollouts: readonly string[];
}

const ESS: Shape = {
  shape: 'ess',
  namespace: 'ess',
  serverName: 'matrix-ess.openmeet.test',
  synapseService: 'ess-synapse',
  mediaClaim: 'ess-synapse-media',
  workload: ['      statefulSet: ess-synapse-main'],
  workers: undefined,
  reach: () => 'portForward: { pod: ess-synapse-main-0, port: 8008 }',
  sharedSecret: { secret: 'ess-generated', key: 'SYNAPSE_REGISTRATION_SHARED_SECRET' },
  homeserverConfig: '{ secret: ess-synapse, key: homeserver.yaml }',
  rollouts: ['statefulset/ess-synapse-main'],
};

const ANANACE: Shape = {
  shape: 'ananace',
  namespace: 'matrix',
  serverName: 'matrix-ananace.openmeet.test',
  synapseService: 'matrix-synapse',
  mediaClaim: 'matrix-synapse',
  workload: ['      workload: { kind: Deployment, name: matrix-synapse }'],
  // The scenario's own advice: every worker Deployment the chart makes, and not Redis.
  workers: '"app.kubernetes.io/name=matrix-synapse,app.kubernetes.io/component!=synapse"',
  // The Service's address, not a port-forward: with portForward and no pod named, connecting needs a ready pod of the
  // Deployment, so no resume or rollback could connect while the reset has Synapse stopped.
  reach: (serviceUrl) => `url: ${serviceUrl}`,
  sharedSecret: { secret: 'matrix-synapse-registration', key: 'SYNAPSE_REGISTRATION_SHARED_SECRET' },
  // The chart keeps the database settings in the Secret's config.yaml (merged through conf.d), not in the ConfigMap.
  homeserverConfig: '{ secret: matrix-synapse, key: config.yaml }',
  // The worker restarts until the main process has made the schema: its Deployment changes until then.
  rollouts: ['deployment/matrix-synapse', 'deployment/matrix-synapse-generic-worker'],
};

/**
 * Plants the full-reset scene on a running `synapse-ess` cluster: an admin and three users registered with the shared
 * secret, an OpenMeet tenant on the sandbox's Postgres holding the users' tokens (and one row without), the admin
 * token in a `.env`, and a matrix-reset.yaml reading homeserver.yaml from Synapse's Secret ess-synapse and reaching the
 * database as `postgres` at the Service's ClusterIP (its password from Secret ess-generated).
 */
export async function plantEss(cluster: ScenarioCluster): Promise<PostgresSynapseSandbox> {
  const generated = await cluster.secret(ESS.namespace, 'ess-generated');
  const host = await cluster.clusterIp(ESS.namespace, 'ess-postgres');
  const reference = `k8s-secret:${ESS.namespace}/ess-generated`;
  return plant(cluster, ESS, {
    database: 'synapse',
    synapseRole: { user: 'synapse_user', password: generated['POSTGRES_SYNAPSE_PASSWORD'] ?? '' },
    superuser: { host, port: 5432, user: 'postgres', password: generated['POSTGRES_ADMIN_PASSWORD'] ?? '' },
    databaseConfig: `{ host: ${host}, port: 5432, user: postgres, password: "${reference}#POSTGRES_ADMIN_PASSWORD" }`,
    secrets: Object.values(generated),
  });
}

/**
 * The same scene on a running `synapse-ananace` cluster: its database is the scenario's ks_<hex>_synapse on the
 * sandbox's Postgres, reached from here at that server as its owner role (CREATEDB), the password from Secret
 * matrix-synapse-postgresql-external; homeserverConfig is the chart's Secret config.yaml (the database settings).
 */
export async function plantAnanace(cluster: ScenarioCluster): Promise<PostgresSynapseSandbox> {
  const settings = (await cluster.secret(ANANACE.namespace, 'matrix-synapse'))['config.yaml'] ?? '';
  const database = /^\s+database: "?([a-z0-9_]+)"?$/m.exec(settings)?.[1] ?? '';
  const user = /^\s+user: "?([a-z0-9_]+)"?$/m.exec(settings)?.[1] ?? '';
  const password = (await cluster.secret(ANANACE.namespace, 'matrix-synapse-postgresql-external'))['postgres-password'] ?? '';
  const server = new URL(databaseUrl());
  const port = Number(server.port === '' ? 5432 : server.port);
  const others = [
    ...Object.values(await cluster.secret(ANANACE.namespace, 'matrix-synapse-registration')),
    ...Object.values(await cluster.secret(ANANACE.namespace, 'matrix-synapse-redis')),
    /macaroon_secret_key: "([^"]+)"/.exec(settings)?.[1] ?? '',
    /form_secret: "([^"]+)"/.exec(settings)?.[1] ?? '',
  ];
  return plant(cluster, ANANACE, {
    database,
    synapseRole: { user, password },
    superuser: { host: server.hostname, port, user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) },
    databaseConfig: `{ host: ${server.hostname}, port: ${port}, password: "k8s-secret:${ANANACE.namespace}/matrix-synapse-postgresql-external#postgres-password" }`,
    secrets: [password, ...others],
  });
}

async function plant(
  cluster: ScenarioCluster,
  shape: Shape,
  db: { database: string; synapseRole: { user: string; password: string }; superuser: Omit<PsqlTarget, 'database'>; databaseConfig: string; secrets: string[] },
): Promise<PostgresSynapseSandbox> {
  const id = randomBytes(4).toString('hex');
  const environment = `${shape.shape}-${id}`;
  const synapseUrl = `http://${await cluster.clusterIp(shape.namespace, shape.synapseService)}:8008`;
  const sharedSecret = (await cluster.secret(shape.namespace, shape.sharedSecret.secret))[shape.sharedSecret.key] ?? '';
  await waitForSynapse(synapseUrl);
  for (const workload of shape.rollouts) await cluster.kubectl(['rollout', 'status', workload, '-n', shape.namespace, '--timeout=120s']);

  const admin = await registerWithSharedSecret(synapseUrl, sharedSecret, 'admin', true);
  const users = [];
  for (const name of ['alice', 'bob', 'carol']) users.push(await registerWithSharedSecret(synapseUrl, sharedSecret, `${name}-${id}`, false));

  const schema = `tenant_${shape.shape}_${id}`;
  const values = users.map((u, i) => `('u${i}', '${u.userId}', '${u.accessToken}', '${u.deviceId}', '{"matrix": {"connected": true}}'::jsonb)`);
  const keys = lines(
    await psqlAt(
      databaseUrl(),
      `CREATE SCHEMA "${schema}";
       CREATE TABLE "${schema}".users (id serial PRIMARY KEY, slug varchar NOT NULL, "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb);
       CREATE TABLE "${schema}".events (id serial PRIMARY KEY, "matrixRoomId" varchar);
       CREATE TABLE "${schema}".groups (id serial PRIMARY KEY, "matrixRoomId" varchar);
       INSERT INTO "${schema}".users (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences) VALUES ${values.join(', ')}, ('nomatrix', NULL, NULL, NULL, NULL) RETURNING id;`,
    ),
  ).map(Number);

  const dir = await tempDir();
  await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${admin.accessToken}\nMATRIX_ADMIN_USER=${admin.userId}\n`, { mode: 0o600 });
  const writeConfig = async (name: string, options: { database: string; homeserverConfig?: string; workers?: string | null }) => {
    const path = join(dir, name);
    const workers = options.workers === null ? undefined : (options.workers ?? shape.workers);
    await writeFile(
      path,
      [
        'version: 1',
        'environments:',
        `  ${environment}:`,
        '    kubernetes:',
        `      context: ${cluster.context}`,
        `      kubeconfig: ${cluster.kubeconfig}`,
        `      namespace: ${shape.namespace}`,
        ...shape.workload,
        ...(workers === undefined ? [] : [`      workers: { selector: ${workers} }`]),
        '      restart: [{ kind: Deployment, name: openmeet-api }]',
        '    synapse:',
        `      ${shape.reach(synapseUrl)}`,
        `      serverName: ${shape.serverName}`,
        `      sharedSecret: "k8s-secret:${shape.namespace}/${shape.sharedSecret.secret}#${shape.sharedSecret.key}"`,
        `      homeserverConfig: ${options.homeserverConfig ?? shape.homeserverConfig}`,
        `      database: ${options.database}`,
        '    adminToken:',
        '      - { token: "dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN", user: "dotenv:.env#MATRIX_ADMIN_USER" }',
        '    appDatabase:',
        '      url: env:DATABASE_URL',
        `      layout: { preset: openmeet, schemas: { names: [${schema}] } }`,
        '',
      ].join('\n'),
    );
    return path;
  };
  const configPath = await writeConfig('matrix-reset.yaml', { database: db.databaseConfig });
  return {
    cluster,
    shape: shape.shape,
    environment,
    dir,
    configPath,
    env: { MATRIX_RESET_CONFIG: configPath, MATRIX_RESET_ENV: environment },
    synapseUrl,
    serverName: shape.serverName,
    database: db.database,
    synapseRole: db.synapseRole,
    postgres: (database) => ({ ...db.superuser, database }),
    databaseConfig: db.databaseConfig,
    schema,
    keys,
    admin,
    users,
    sharedSecret,
    secrets: [...db.secrets, sharedSecret, admin.accessToken, ...users.map((u) => u.accessToken)].filter((value) => value.length >= 8),
    writeConfig,
    mediaClaimUid: async () => (await cluster.kubectl(['get', 'pvc', shape.mediaClaim, '-n', shape.namespace, '-o', 'jsonpath={.metadata.uid}'])).trim(),
  };
}

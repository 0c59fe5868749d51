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

/** ESS's Synapse on its own Postgres in kube-sim's `synapse-ess` scenario, with an app tenant whose rows hold tokens it issued. */
export interface EssSandbox {
  readonly cluster: ScenarioCluster;
  /** The matrix-reset environment's name (unique: the journal is shared with other tests). */
  readonly environment: string;
  readonly dir: string;
  readonly configPath: string;
  /** MATRIX_RESET_CONFIG and MATRIX_RESET_ENV for the CLI. */
  readonly env: Record<string, string>;
  /** Synapse through its Service's ClusterIP (from outside the cluster). */
  readonly synapseUrl: string;
  readonly serverName: string;
  /** Postgres as its superuser `postgres`, by its Service's ClusterIP; `database` picks the database. */
  readonly postgres: (database: string) => PsqlTarget;
  readonly schema: string;
  /** The app rows' keys, in order: `users[i]`'s row, then one row without credentials. */
  readonly keys: readonly number[];
  readonly admin: RegisteredUser;
  readonly users: readonly RegisteredUser[];
  /** Synapse's registration shared secret (Secret ess-generated). */
  readonly sharedSecret: string;
  /** Every secret planted or generated (passwords, shared secret, tokens): none may appear in any output. */
  readonly secrets: readonly string[];
  /** Writes another matrix-reset.yaml beside the first, with `database` as its synapse.database (flow YAML) and `homeserverConfig` if given; its path. */
  writeConfig(name: string, options: { database: string; homeserverConfig?: string }): Promise<string>;
  /** The uid of Synapse's media claim `ess-synapse-media`. */
  mediaClaimUid(): Promise<string>;
}

const ESS_NAMESPACE = 'ess';
const ESS_SERVER_NAME = 'matrix-ess.openmeet.test';

/**
 * Plants the full-reset scene on a running `synapse-ess` cluster: an admin and three users registered with the shared
 * secret, an OpenMeet tenant on the sandbox's Postgres holding the users' tokens (and one row without), the admin
 * token in a `.env`, and a matrix-reset.yaml reading homeserver.yaml from Synapse's Secret ess-synapse and reaching the
 * database as `postgres` at the Service's ClusterIP (its password from Secret ess-generated).
 */
export async function plantEss(cluster: ScenarioCluster): Promise<EssSandbox> {
  const id = randomBytes(4).toString('hex');
  const environment = `ess-${id}`;
  const generated = await cluster.secret(ESS_NAMESPACE, 'ess-generated');
  const synapseUrl = `http://${await cluster.clusterIp(ESS_NAMESPACE, 'ess-synapse')}:8008`;
  const postgresHost = await cluster.clusterIp(ESS_NAMESPACE, 'ess-postgres');
  const sharedSecret = generated['SYNAPSE_REGISTRATION_SHARED_SECRET'] ?? '';
  const adminPassword = generated['POSTGRES_ADMIN_PASSWORD'] ?? '';
  await waitForSynapse(synapseUrl);

  const admin = await registerWithSharedSecret(synapseUrl, sharedSecret, 'admin', true);
  const users = [];
  for (const name of ['alice', 'bob', 'carol']) users.push(await registerWithSharedSecret(synapseUrl, sharedSecret, `${name}-${id}`, false));

  const schema = `tenant_ess_${id}`;
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
  const writeConfig = async (name: string, options: { database: string; homeserverConfig?: string }) => {
    const path = join(dir, name);
    await writeFile(
      path,
      [
        'version: 1',
        'environments:',
        `  ${environment}:`,
        '    kubernetes:',
        `      context: ${cluster.context}`,
        `      kubeconfig: ${cluster.kubeconfig}`,
        `      namespace: ${ESS_NAMESPACE}`,
        '      statefulSet: ess-synapse-main',
        '      restart: [{ kind: Deployment, name: openmeet-api }]',
        '    synapse:',
        '      portForward: { pod: ess-synapse-main-0, port: 8008 }',
        `      serverName: ${ESS_SERVER_NAME}`,
        `      sharedSecret: "k8s-secret:${ESS_NAMESPACE}/ess-generated#SYNAPSE_REGISTRATION_SHARED_SECRET"`,
        `      homeserverConfig: ${options.homeserverConfig ?? '{ secret: ess-synapse, key: homeserver.yaml }'}`,
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
  const configPath = await writeConfig('matrix-reset.yaml', {
    database: `{ host: ${postgresHost}, port: 5432, user: postgres, password: "k8s-secret:${ESS_NAMESPACE}/ess-generated#POSTGRES_ADMIN_PASSWORD" }`,
  });
  return {
    cluster,
    environment,
    dir,
    configPath,
    env: { MATRIX_RESET_CONFIG: configPath, MATRIX_RESET_ENV: environment },
    synapseUrl,
    serverName: ESS_SERVER_NAME,
    postgres: (database) => ({ host: postgresHost, port: 5432, user: 'postgres', password: adminPassword, database }),
    schema,
    keys,
    admin,
    users,
    sharedSecret,
    secrets: [...Object.values(generated).filter((value) => value.length >= 8), admin.accessToken, ...users.map((u) => u.accessToken)],
    writeConfig,
    mediaClaimUid: async () => (await cluster.kubectl(['get', 'pvc', 'ess-synapse-media', '-n', ESS_NAMESPACE, '-o', 'jsonpath={.metadata.uid}'])).trim(),
  };
}

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateServiceToken, localBootstrap, type ServiceScope } from '@matrix-reset/reset-core';
import { startService, type RunningService } from '../start-service.ts';

const exec = promisify(execFile);

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new Error(`${name} is not set: run through apps/http/vitest.config.ts (the sandbox global setup exports it)`);
  return value;
}

/** A lower-case suffix no other test uses. */
export function unique(): string {
  return randomBytes(4).toString('hex');
}

/** Runs SQL with psql against the sandbox's `DATABASE_URL`, stopping at the first error; returns the unaligned rows. */
export async function psql(sqlText: string): Promise<string[]> {
  const { stdout } = await exec('psql', [required('DATABASE_URL'), '-v', 'ON_ERROR_STOP=1', '-qAt', '-F', '\t', '-c', sqlText]);
  return stdout.split('\n').filter((line) => line !== '');
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** An OpenMeet tenant: `tenant_<id>.users` with the camelCase credential columns, empty. */
export async function createTenant(): Promise<string> {
  const schema = `tenant_http${unique()}`;
  await psql(`
    CREATE SCHEMA "${schema}";
    CREATE TABLE "${schema}".users (
      id serial PRIMARY KEY, slug varchar NOT NULL,
      "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
    );`);
  return schema;
}

/** Inserts an app user whose stored Matrix token is dead (a user id on the sandbox server that does not exist yet). */
export async function insertUserWithDeadToken(schema: string): Promise<{ id: string; userId: string; deadToken: string }> {
  const slug = `svc${unique()}`;
  const userId = `@${slug}:${required('SYNAPSE_SERVER_NAME')}`;
  const deadToken = `syt_dead_${randomBytes(12).toString('hex')}`;
  const [id] = await psql(`INSERT INTO "${schema}".users (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId")
    VALUES ('${slug}', '${userId}', '${deadToken}', 'OLDDEVICE') RETURNING id`);
  if (id === undefined) throw new Error('insert returned no id');
  return { id, userId, deadToken };
}

/** The row's stored user id and token. */
export async function storedCredentials(schema: string, id: string): Promise<{ userId: string; accessToken: string }> {
  const [row] = await psql(`SELECT "matrixUserId", "matrixAccessToken" FROM "${schema}".users WHERE id = ${Number(id)}`);
  const [userId = '', accessToken = ''] = (row ?? '').split('\t');
  return { userId, accessToken };
}

/** Log lines a test reads back (pino writes one JSON object per line). */
export class CapturedLog {
  readonly text: string[] = [];
  write(line: string): void {
    this.text.push(line);
  }
  /** Every line, parsed. */
  entries(): Record<string, unknown>[] {
    return this.text.flatMap((chunk) => chunk.split('\n').filter((line) => line !== '')).map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  all(): string {
    return this.text.join('');
  }
}

export interface ServiceSandboxOptions {
  /** The environment's name in the config (default `sandbox`). */
  environment?: string;
  /** `protected: true` for the environment. */
  protected?: boolean;
  /** Extra or different `service:` settings, as YAML lines indented under `service:` (two spaces). */
  serviceYaml?: string[];
  /** Point the environment's Synapse URL elsewhere (e.g. a closed port). */
  synapseUrl?: string;
  /** Schemas the layout names besides the fixture's own tenant (then requests must say which one). */
  extraSchemas?: string[];
  /** Write a session key file and name it in `service.sessionSecret` (instances then share browser sessions). */
  sessionSecret?: boolean;
}

/** Token names of the fixture and their scopes. */
export type FixtureTokenName = 'ensure' | 'reader' | 'ops' | 'runner' | 'all';

/** A config on disk for the sandbox, before any service runs. */
export interface ServiceSandbox {
  readonly dir: string;
  readonly configPath: string;
  readonly environment: string;
  /** The fresh OpenMeet tenant the layout names. */
  readonly schema: string;
  /** The admin token localBootstrap registered (a secret: for calling Synapse's admin API in tests). */
  readonly adminToken: string;
  /** Bearer tokens by name: ensure (credentials:ensure), reader (credentials:ensure + credentials:read), ops (read), runner (runs:write + read), all (every scope). */
  readonly tokens: Readonly<Record<FixtureTokenName, string>>;
  /** Every secret in play (bearer tokens, the admin token, the shared secret, the session key); tests add minted user tokens. */
  readonly secrets: string[];
}

export interface ServiceFixture extends ServiceSandbox {
  readonly service: RunningService;
  readonly url: string;
  readonly log: CapturedLog;
  close(): Promise<void>;
}

const TOKEN_SCOPES: Readonly<Record<FixtureTokenName, ServiceScope[]>> = {
  ensure: ['credentials:ensure'],
  reader: ['credentials:ensure', 'credentials:read'],
  ops: ['read'],
  runner: ['runs:write', 'read'],
  all: ['credentials:ensure', 'credentials:read', 'runs:write', 'read'],
};

/**
 * Prepares what a service needs against the sandbox, without starting one: a fresh OpenMeet tenant, an admin
 * registered by `localBootstrap` into a `.env`, and beside it a matrix-reset.yaml whose `service:` section holds the
 * hashes of five tokens ({@link FixtureTokenName}). Start one or several services on `configPath`.
 */
export async function prepareServiceSandbox(options: ServiceSandboxOptions = {}): Promise<ServiceSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'matrix-reset-http-'));
  const schema = await createTenant();
  const environment = options.environment ?? 'sandbox';
  const sharedSecretFile = required('SYNAPSE_SHARED_SECRET_FILE');
  await localBootstrap({
    synapseUrl: required('SYNAPSE_URL'),
    sharedSecret: `file:${sharedSecretFile}`,
    envFile: join(dir, '.env'),
    adminUser: `httpadmin${unique()}`,
  });
  const adminToken = /MATRIX_ADMIN_ACCESS_TOKEN=(\S+)/.exec(await readFile(join(dir, '.env'), 'utf8'))?.[1]?.replace(/^["']|["']$/g, '') ?? '';
  const tokens = {} as Record<FixtureTokenName, string>;
  const entries: string[] = [];
  for (const [name, scopes] of Object.entries(TOKEN_SCOPES) as [FixtureTokenName, ServiceScope[]][]) {
    const generated = generateServiceToken({ name: `test-${name}`, scopes });
    tokens[name] = generated.token.reveal();
    entries.push(`    - { name: ${generated.entry.name}, sha256: ${generated.entry.sha256}, scopes: [${generated.entry.scopes.join(', ')}] }`);
  }
  const sessionKey = options.sessionSecret === true ? randomBytes(32).toString('base64url') : undefined;
  if (sessionKey !== undefined) await writeFile(join(dir, 'session.key'), sessionKey, { mode: 0o600 });
  const configPath = join(dir, 'matrix-reset.yaml');
  await writeFile(
    configPath,
    [
      'version: 1',
      'environments:',
      `  ${environment}:`,
      `    protected: ${options.protected === true}`,
      '    synapse:',
      `      url: ${options.synapseUrl ?? required('SYNAPSE_URL')}`,
      `      serverName: ${required('SYNAPSE_SERVER_NAME')}`,
      `      sharedSecret: file:${sharedSecretFile}`,
      '    adminToken:',
      '      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }',
      '    appDatabase:',
      '      url: env:DATABASE_URL',
      `      layout: { preset: openmeet, schemas: { names: [${[schema, ...(options.extraSchemas ?? [])].join(', ')}] } }`,
      'service:',
      ...(sessionKey === undefined ? [] : [`  sessionSecret: file:${join(dir, 'session.key')}`]),
      '  tokens:',
      ...entries,
      ...(options.serviceYaml ?? []),
      '',
    ].join('\n'),
  );
  const sharedSecret = (await readFile(sharedSecretFile, 'utf8')).trim();
  const secrets = [...Object.values(tokens), adminToken, sharedSecret, ...(sessionKey === undefined ? [] : [sessionKey])].filter((secret) => secret.length >= 8);
  return { dir, configPath, environment, schema, adminToken, tokens, secrets };
}

/** Starts a service on `sandbox.configPath` on a free loopback port, its log captured. */
export async function startSandboxService(sandbox: Pick<ServiceSandbox, 'configPath'>): Promise<{ service: RunningService; url: string; log: CapturedLog; close(): Promise<void> }> {
  const log = new CapturedLog();
  const service = await startService({ configPath: sandbox.configPath, port: 0, host: '127.0.0.1', env: {}, logDestination: log });
  return { service, url: service.url, log, close: () => service.close() };
}

/** {@link prepareServiceSandbox} and one service started on it. */
export async function startServiceFixture(options: ServiceSandboxOptions = {}): Promise<ServiceFixture> {
  const sandbox = await prepareServiceSandbox(options);
  return { ...sandbox, ...(await startSandboxService(sandbox)) };
}

/** `fetch` against the fixture with an optional bearer token and JSON body. */
export async function call(
  fixture: Pick<ServiceFixture, 'url'>,
  path: string,
  options: { method?: string; token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${fixture.url}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
}

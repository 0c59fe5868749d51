import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isSynapseClientError, type SynapseClient, type SynapseRequestEvent } from '@matrix-reset/synapse-admin';
import { ADMIN_TOKEN_REREAD_COOLDOWN_MS, type AdminTokenEvent } from './admin-token-refresh.ts';
import { connectEnvironment, type EnvironmentConnection } from './connect-environment.ts';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { checkDependencies } from '../service/service-readiness.ts';
import { registerUser, sandboxClients, sandboxSynapse, uniqueSuffix, type RegisteredUser } from '../test-support/doctor-fixtures.ts';

let plain: SynapseClient;
let minter: SynapseClient;
let dir: string;
/** Every token this file puts in play: none may show up in events, logs or errors. */
const tokens: string[] = [];
/** Everything the code under test emitted or threw, as text. */
const captured: string[] = [];

beforeAll(async () => {
  ({ client: plain, admin: minter } = await sandboxClients());
  dir = await mkdtemp(join(tmpdir(), 'admin-token-refresh-'));
});

/** An environment whose admin token is `dotenv:<file>#MATRIX_ADMIN_ACCESS_TOKEN`. */
function environmentWith(envFile: string): EnvironmentConfig {
  const { url, serverName } = sandboxSynapse();
  const yaml = `
version: 1
environments:
  local:
    synapse:
      url: ${url}
      serverName: ${serverName}
      sharedSecret: env:SYNAPSE_SHARED_SECRET_FILE
    adminToken:
      - { token: dotenv:${envFile}#MATRIX_ADMIN_ACCESS_TOKEN }
    appDatabase:
      url: env:DATABASE_URL
      layout: { preset: openmeet, schemas: { names: [public] } }
`;
  return resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), 'local');
}

async function writeToken(envFile: string, token: string | undefined): Promise<void> {
  await writeFile(envFile, `OTHER=1\n${token === undefined ? '' : `MATRIX_ADMIN_ACCESS_TOKEN=${token}\n`}`, { mode: 0o600 });
}

/** A new token for `admin` (login-as by another admin), as a full reset or a rotation would store it. */
async function freshToken(admin: RegisteredUser): Promise<string> {
  const { accessToken } = await minter.admin.loginAsUser(admin.userId);
  tokens.push(accessToken);
  return accessToken;
}

async function connect(envFile: string, events: AdminTokenEvent[]): Promise<EnvironmentConnection> {
  return connectEnvironment(environmentWith(envFile), {
    onAdminTokenEvent: (event) => {
      events.push(event);
      captured.push(JSON.stringify(event), inspect(event));
    },
    synapse: { logger: (event: SynapseRequestEvent) => captured.push(JSON.stringify(event)) },
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  captured.push(inspect(error, { depth: 5 }), JSON.stringify(error), String(error));
  return error;
}

describe('an environment connection after its admin token changed', () => {
  let admin: RegisteredUser;
  let envFile: string;
  let events: AdminTokenEvent[];
  let connection: EnvironmentConnection;

  beforeAll(async () => {
    admin = await registerUser(plain, `rotated-admin-${uniqueSuffix()}`, true);
    tokens.push(admin.accessToken);
    envFile = join(dir, 'rotated.env');
    await writeToken(envFile, admin.accessToken);
    events = [];
    connection = await connect(envFile, events);
  });

  afterAll(async () => {
    await connection?.close();
  });

  it('re-reads the reference once after unknown_token, switches to the new token and retries every call', async () => {
    const synapse = connection.synapse; // kept, as long-lived dependencies keep it
    expect((await synapse.whoami()).userId).toBe(admin.userId);
    await plain.withAccessToken(admin.accessToken).logout();
    await writeToken(envFile, await freshToken(admin));

    const [checks, ...answers] = await Promise.all([
      checkDependencies(connection),
      ...Array.from({ length: 8 }, () => synapse.whoami()),
      synapse.admin.getUser(admin.userId),
      (async () => {
        for await (const user of synapse.admin.listUsers({ limit: 2 })) return user;
        return undefined;
      })(),
    ]);

    expect(checks.find((check) => check.name === 'synapse')).toMatchObject({ ok: true });
    expect(answers.slice(0, 8).map((answer) => (answer as { userId: string }).userId)).toEqual(Array(8).fill(admin.userId));
    expect(answers[8]).toMatchObject({ userId: admin.userId, admin: true });
    expect(answers[9]).toBeDefined();
    expect(events).toEqual([{ type: 'admin_token_reread', trigger: 'unknown_token', outcome: 'changed', source: connection.adminTokenSource }]);
    expect(connection.adminTokenSource).toBe(`dotenv:${envFile}#MATRIX_ADMIN_ACCESS_TOKEN`);
  });

  it('does not re-read again within the cool-down; refreshAdminToken() re-reads at once and reports the change', async () => {
    // Rotate again right away: store another token and revoke the one the connection holds.
    await writeToken(envFile, await freshToken(admin));
    const before = events.length;
    await logoutConnectionToken(connection);

    const first = await failure(connection.synapse.whoami());
    const second = await failure(connection.synapse.admin.getUser(admin.userId));

    expect(isSynapseClientError(first, 'unknown_token')).toBe(true);
    expect(isSynapseClientError(second, 'unknown_token')).toBe(true);
    expect(events.length).toBe(before);

    expect(await connection.refreshAdminToken()).toBe(true);
    expect(events.slice(before)).toEqual([{ type: 'admin_token_reread', trigger: 'explicit', outcome: 'changed', source: connection.adminTokenSource }]);
    expect((await connection.synapse.whoami()).userId).toBe(admin.userId);
    expect(await connection.refreshAdminToken()).toBe(false);
    expect(events.at(-1)).toMatchObject({ trigger: 'explicit', outcome: 'unchanged' });
  });

  it('re-reads automatically again once the cool-down has passed', async () => {
    await sleep(ADMIN_TOKEN_REREAD_COOLDOWN_MS + 200);
    await logoutConnectionToken(connection);
    await writeToken(envFile, await freshToken(admin));
    const before = events.length;

    expect((await connection.synapse.whoami()).userId).toBe(admin.userId);
    expect(events.slice(before)).toEqual([{ type: 'admin_token_reread', trigger: 'unknown_token', outcome: 'changed', source: connection.adminTokenSource }]);
  });

  it('keeps the connection and its client immutable from outside', () => {
    expect(Object.isFrozen(connection)).toBe(true);
    expect(() => {
      (connection.synapse as { admin: unknown }).admin = undefined;
    }).toThrow(TypeError);
    expect(() => {
      (connection as { synapse: unknown }).synapse = undefined;
    }).toThrow(TypeError);
    captured.push(inspect(connection.synapse, { depth: 4, showProxy: false }), inspect(connection.synapse.admin), String(connection.adminTokenSource));
  });
});

describe('an environment connection that started without an admin token', () => {
  it('picks up a token written later: the first readiness probe after the cool-down re-reads, the next one is ok', async () => {
    const admin = await registerUser(plain, `late-admin-${uniqueSuffix()}`, true);
    tokens.push(admin.accessToken);
    const envFile = join(dir, 'late.env');
    await writeToken(envFile, undefined);
    const events: AdminTokenEvent[] = [];
    const connection = await connect(envFile, events);
    try {
      expect(connection.adminTokenSource).toBeUndefined();
      expect((await checkDependencies(connection)).find((check) => check.name === 'synapse')?.ok).toBe(false);
      const missing = await failure(connection.synapse.whoami());
      expect(isSynapseClientError(missing, 'missing_token')).toBe(true);
      await writeToken(envFile, admin.accessToken);

      await sleep(ADMIN_TOKEN_REREAD_COOLDOWN_MS + 200);
      // The first probe after the cool-down still sees no token, and starts a re-read in the background.
      expect((await checkDependencies(connection)).find((check) => check.name === 'synapse')?.ok).toBe(false);
      await vi.waitFor(() => expect(connection.adminTokenSource).toBe(`dotenv:${envFile}#MATRIX_ADMIN_ACCESS_TOKEN`));
      expect(events.at(-1)).toEqual({ type: 'admin_token_reread', trigger: 'missing_token', outcome: 'changed', source: `dotenv:${envFile}#MATRIX_ADMIN_ACCESS_TOKEN` });
      expect((await checkDependencies(connection)).find((check) => check.name === 'synapse')?.ok).toBe(true);
      expect((await connection.synapse.whoami()).userId).toBe(admin.userId);
      expect(await connection.refreshAdminToken()).toBe(false);
    } finally {
      await connection.close();
    }
  });
});

describe('what the connection emitted and threw', () => {
  it('holds none of the tokens in play', () => {
    const text = captured.join('\n');
    expect(text).toContain('admin_token_reread');
    expect(text).toContain('unknown_token');
    expect(tokens.length).toBeGreaterThan(4);
    for (const token of tokens) expect(text).not.toContain(token);
  });
});

/** Logs out whatever token the connection currently holds, through the connection (not retried by design). */
async function logoutConnectionToken(connection: EnvironmentConnection): Promise<void> {
  await connection.synapse.logout();
}

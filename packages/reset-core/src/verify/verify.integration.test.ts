import { Agent, type Dispatcher } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSynapseClient, type SynapseClient } from '@matrix-reset/synapse-admin';
import { uniqueSuffix } from '../test-support/doctor-fixtures.ts';
import { registerMatrixUser, synapseEnv } from '../test-support/ensure-fixtures.ts';
import { VERIFY_CHECKS, verify, type VerifyConnection, type VerifyProgress, type VerifyReport } from './verify.ts';

let admin: SynapseClient;
let adminToken: string;

/** A fresh server admin on the sandbox Synapse. */
async function freshAdmin(): Promise<{ client: SynapseClient; accessToken: string }> {
  const { url, serverName, sharedSecret } = synapseEnv();
  const client = createSynapseClient({ baseUrl: url, serverName });
  const result = await client.registerWithSharedSecret({ sharedSecret, username: `verify-admin-${uniqueSuffix()}`, password: `pw-${uniqueSuffix()}`, admin: true });
  if (result.accessToken === undefined) throw new Error('admin registration returned no token');
  return { client: client.withAccessToken(result.accessToken), accessToken: result.accessToken };
}

function connectionWith(synapse: SynapseClient): VerifyConnection {
  return { synapse, environment: { name: 'sandbox', synapse: { serverName: synapseEnv().serverName } }, adminTokenSource: 'dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN' };
}

function statuses(report: VerifyReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((check) => [check.name, check.status]));
}

/** Every room the admin API lists whose id is `roomId`. */
async function listedRooms(roomId: string): Promise<string[]> {
  const rooms: string[] = [];
  for await (const room of admin.admin.listRooms({ searchTerm: roomId })) if (room.roomId === roomId) rooms.push(room.roomId);
  return rooms;
}

beforeAll(async () => {
  ({ client: admin, accessToken: adminToken } = await freshAdmin());
});

describe('verify', () => {
  it('passes every check against a working Synapse and reports each in order with a duration', async () => {
    const progress: VerifyProgress[] = [];
    const report = await verify(connectionWith(admin), { onProgress: (event) => progress.push(event) });

    expect(report.checks.map((check) => check.name)).toEqual([...VERIFY_CHECKS]);
    expect(report.checks.filter((check) => check.status !== 'passed')).toEqual([]);
    expect(report.ok).toBe(true);
    for (const check of report.checks) expect(check.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.checks.find((check) => check.name === 'messaging')?.detail).toMatch(/read it back/);
    expect(progress.filter((event) => event.type === 'finished')).toHaveLength(VERIFY_CHECKS.length);
    expect(progress.filter((event) => event.type === 'started')).toHaveLength(VERIFY_CHECKS.length);
  });

  it('provisions users named mr-verify-<random> and its cleanup deactivates them and deletes the room', async () => {
    const report = await verify(connectionWith(admin));

    expect(report.artifacts.userIds).toHaveLength(2);
    for (const userId of report.artifacts.userIds) {
      expect(userId).toMatch(new RegExp(`^@mr-verify-[0-9a-f]{10}:${synapseEnv().serverName.replaceAll('.', '\\.')}$`));
      const user = await admin.admin.getUser(userId);
      expect(user?.deactivated).toBe(true);
      expect(user?.erased).toBe(true);
    }
    expect(report.artifacts.roomId).toMatch(/^!/);
    expect(await listedRooms(report.artifacts.roomId ?? '')).toEqual([]);
    expect(report.artifacts.kept).toBe(false);
  });

  it('puts no token in the report or the progress events', async () => {
    const events: string[] = [];
    const report = await verify(connectionWith(admin), { onProgress: (event) => events.push(JSON.stringify(event)) });

    const text = JSON.stringify(report) + events.join('\n');
    expect(text).not.toContain(adminToken);
    expect(text).not.toMatch(/\bsyt_[A-Za-z0-9]/);
  });

  it('with a bad admin token fails the first check with unknown_token, skips the rest, and leaks no token', async () => {
    const badToken = `syt_bogus_${uniqueSuffix()}_${uniqueSuffix()}`;
    const report = await verify(connectionWith(admin.withAccessToken(badToken)));

    expect(report.ok).toBe(false);
    const [first, ...rest] = report.checks;
    expect(first).toMatchObject({ name: 'admin_token', status: 'failed', ok: false, error: { code: 'unknown_token' } });
    expect(first?.error?.nextSteps.join('\n')).toContain('dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN');
    expect(rest.map((check) => check.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(report.artifacts.userIds).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(badToken);
  });

  it('without an admin token fails the first check with admin_token_missing', async () => {
    const { url, serverName } = synapseEnv();
    const report = await verify(connectionWith(createSynapseClient({ baseUrl: url, serverName })));

    expect(report.checks[0]).toMatchObject({ status: 'failed', error: { code: 'admin_token_missing' } });
  });

  it("with a user's token (not an admin) fails the first check with not_admin", async () => {
    const user = await registerMatrixUser();
    const report = await verify(connectionWith(admin.withAccessToken(user.accessToken)));

    expect(report.checks[0]).toMatchObject({ status: 'failed', error: { code: 'not_admin' } });
    expect(JSON.stringify(report)).not.toContain(user.accessToken);
  });

  it('under delegated auth fails both provisioning checks with delegated_auth and its mas-cli next steps', async () => {
    const synapse = createSynapseClient({ baseUrl: synapseEnv().delegatedUrl, accessToken: `mat_placeholder_${uniqueSuffix()}` });
    const report = await verify({ synapse, environment: { name: 'mas', synapse: { serverName: 'delegated.test' } } });

    expect(statuses(report)).toMatchObject({ provision_user_1: 'failed', provision_user_2: 'failed', room: 'skipped', messaging: 'skipped' });
    for (const name of ['provision_user_1', 'provision_user_2']) {
      const check = report.checks.find((c) => c.name === name);
      expect(check?.error?.code).toBe('delegated_auth');
      expect(check?.error?.nextSteps.join('\n')).toContain('mas-cli');
    }
  });

  it('keepArtifacts skips cleanup, reports what it kept, and leaves the users active', async () => {
    const report = await verify(connectionWith(admin), { keepArtifacts: true });

    expect(report.ok).toBe(true);
    expect(report.checks.at(-1)).toMatchObject({ name: 'cleanup', status: 'skipped' });
    expect(report.artifacts.kept).toBe(true);
    expect(report.checks.at(-1)?.detail).toContain(report.artifacts.userIds[0] ?? 'missing');
    for (const userId of report.artifacts.userIds) expect((await admin.admin.getUser(userId))?.deactivated).toBe(false);
    expect(await listedRooms(report.artifacts.roomId ?? '')).toHaveLength(1);

    const { deleteId } = await admin.admin.deleteRoom(report.artifacts.roomId ?? '', { purge: true });
    await admin.admin.waitForRoomDeletion(deleteId);
    for (const userId of report.artifacts.userIds) await admin.admin.deactivateUser(userId, { erase: true });
  });

  it('cleans up after a failed check: reading messages fails, cleanup still removes the room and users', async () => {
    // The real Synapse, with every /messages request answered 500 by an interceptor on the injected dispatcher.
    const failMessages: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
      if (options.path.includes('/messages')) {
        const controller = { abort() {}, pause() {}, resume() {}, aborted: false, paused: false, reason: null, rawHeaders: [], rawTrailers: [] };
        handler.onRequestStart?.(controller as never, {});
        handler.onResponseStart?.(controller as never, 500, { 'content-type': 'application/json' }, 'Internal Server Error');
        handler.onResponseData?.(controller as never, Buffer.from(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'injected' })));
        handler.onResponseEnd?.(controller as never, {});
        return true;
      }
      return dispatch(options, handler);
    };
    const dispatcher = new Agent().compose(failMessages);
    const { url, serverName } = synapseEnv();
    const faulty = createSynapseClient({ baseUrl: url, serverName, accessToken: adminToken, dispatcher, retry: { maxRetries: 0 } });

    const report = await verify(connectionWith(faulty), { messageTimeoutMs: 0 });

    expect(statuses(report)).toEqual({ admin_token: 'passed', provision_user_1: 'passed', provision_user_2: 'passed', room: 'passed', messaging: 'failed', cleanup: 'passed' });
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === 'messaging')?.error?.code).toBe('server_error');
    for (const userId of report.artifacts.userIds) expect((await admin.admin.getUser(userId))?.deactivated).toBe(true);
    expect(await listedRooms(report.artifacts.roomId ?? '')).toEqual([]);
  });
});

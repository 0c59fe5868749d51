import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthModeUnsupportedError } from './auth-mode.ts';
import { createSynapseClient } from './synapse-client.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, uniquePassword, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

/** Everything an async iterable yields, in order. */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A client-server call the client has no method for (setting a pusher, uploading media), as `user`. */
async function rawCall(user: TestUser, method: 'POST' | 'PUT', path: string, body: unknown, contentType = 'application/json'): Promise<Record<string, unknown>> {
  const response = await request(`${synapseTestEnv().url}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${method} ${path} answered ${response.statusCode}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

describe('admin user calls against a real Synapse', () => {
  let admin: TestUser;
  const userIdFor = (localpart: string) => `@${localpart}:${synapseTestEnv().serverName}`;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
  });

  it('reads the server version', async () => {
    const { serverVersion } = await admin.client.admin.serverVersion();
    expect(serverVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('getUser returns undefined for a user the server does not know', async () => {
    expect(await admin.client.admin.getUser(userIdFor(uniqueLocalpart('ghost')))).toBeUndefined();
  });

  it('createUser creates a new user and refuses an existing one with user_exists', async () => {
    const userId = userIdFor(uniqueLocalpart('created'));
    const user = await admin.client.admin.createUser(userId, { password: uniquePassword(), displayName: 'Created' });
    expect(user).toMatchObject({ userId, displayName: 'Created', admin: false, deactivated: false });
    const error = await rejectionOf(admin.client.admin.createUser(userId, { password: uniquePassword() }));
    expect(error).toBeInstanceOf(SynapseClientError);
    expect((error as SynapseClientError).code).toBe('user_exists');
  });

  it('upsertUser reports created on the first PUT and modified on the second', async () => {
    const userId = userIdFor(uniqueLocalpart('upsert'));
    const first = await admin.client.admin.upsertUser(userId, { displayName: 'One' });
    const second = await admin.client.admin.upsertUser(userId, { displayName: 'Two' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.user.displayName).toBe('Two');
  });

  it('listUsers follows next_token across pages', async () => {
    const marker = uniqueLocalpart('paged');
    const ids = [] as string[];
    for (let i = 0; i < 5; i++) {
      const userId = userIdFor(`${marker}-${i}`);
      await admin.client.admin.upsertUser(userId, { displayName: marker });
      ids.push(userId);
    }
    const seen: string[] = [];
    for await (const user of admin.client.admin.listUsers({ limit: 2, name: marker })) seen.push(user.userId);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it('loginAsUser mints a token that works, has no device, and respects validUntilMs', async () => {
    const target = await registerUser();
    const { accessToken } = await admin.client.admin.loginAsUser(target.userId);
    const me = await admin.client.withAccessToken(accessToken).whoami();
    expect(me.userId).toBe(target.userId);
    expect(me.deviceId).toBeUndefined();

    const shortLived = await admin.client.admin.loginAsUser(target.userId, { validUntilMs: Date.now() + 1_000 });
    expect((await admin.client.withAccessToken(shortLived.accessToken).whoami()).userId).toBe(target.userId);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const error = await rejectionOf(admin.client.withAccessToken(shortLived.accessToken).whoami());
    expect((error as SynapseApiError).errcode).toBe('M_UNKNOWN_TOKEN');
    expect((error as SynapseApiError).softLogout).toBe(true);
    expect((error as SynapseApiError).code).toBe('token_soft_logout');
  });

  it('loginAsUser of an unknown user fails with not_found', async () => {
    const error = await rejectionOf(admin.client.admin.loginAsUser(userIdFor(uniqueLocalpart('nobody'))));
    expect((error as SynapseApiError).code).toBe('not_found');
  });

  it('deactivateUser revokes the user token: whoami answers unknown_token', async () => {
    const user = await registerUser();
    await admin.client.admin.deactivateUser(user.userId);
    const error = await rejectionOf(user.client.whoami());
    expect(error).toBeInstanceOf(SynapseApiError);
    // Synapse deletes the tokens on deactivation, so it no longer knows the token at all.
    expect((error as SynapseApiError).errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await admin.client.admin.getUser(user.userId))?.deactivated).toBe(true);
  });

  it('upsertUser locked: true makes whoami refuse the token with user_locked, until unlocked', async () => {
    const user = await registerUser();
    await admin.client.admin.upsertUser(user.userId, { locked: true });
    const error = await rejectionOf(user.client.whoami());
    expect(error).toMatchObject({ code: 'user_locked', errcode: 'M_USER_LOCKED', status: 401 });
    expect((await admin.client.admin.getUser(user.userId))?.locked).toBe(true);
    await admin.client.admin.upsertUser(user.userId, { locked: false });
    expect((await user.client.whoami()).userId).toBe(user.userId);
  });

  it('resetPassword with logoutDevices revokes the user token', async () => {
    const user = await registerUser();
    await admin.client.admin.resetPassword(user.userId, { newPassword: uniquePassword(), logoutDevices: true });
    const error = await rejectionOf(user.client.whoami());
    expect((error as SynapseApiError).code).toBe('unknown_token');
  });

  it('resetPassword without logoutDevices keeps the token working', async () => {
    const user = await registerUser();
    await admin.client.admin.resetPassword(user.userId, { newPassword: uniquePassword(), logoutDevices: false });
    expect((await user.client.whoami()).userId).toBe(user.userId);
  });

  it('overrideRateLimit lifts the message limit', async () => {
    const user = await registerUser();
    expect(await admin.client.admin.overrideRateLimit(user.userId)).toEqual({ messagesPerSecond: 0, burstCount: 0 });
  });

  it('isUsernameAvailable tells free, taken and invalid names apart', async () => {
    const taken = await registerUser();
    expect(await admin.client.admin.isUsernameAvailable(uniqueLocalpart('free'))).toEqual({ available: true });
    expect(await admin.client.admin.isUsernameAvailable(taken.localpart)).toMatchObject({ available: false, reason: 'in_use' });
    expect(await admin.client.admin.isUsernameAvailable('Not Valid!')).toMatchObject({ available: false, reason: 'invalid' });
  });
});

describe('admin user inspection and moderation calls against a real Synapse', () => {
  let admin: TestUser;
  let plain: TestUser;
  const userIdFor = (localpart: string) => `@${localpart}:${synapseTestEnv().serverName}`;
  const remoteUser = '@someone:remote.example.org';

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
    plain = await registerUser();
  });

  it('listUsersPage returns items, nextToken and total, and resumes from nextToken', async () => {
    const marker = uniqueLocalpart('page');
    for (let i = 0; i < 3; i++) await admin.client.admin.upsertUser(userIdFor(`${marker}-${i}`), { displayName: marker });
    const first = await admin.client.admin.listUsersPage({ limit: 2, name: marker });
    expect(first.total).toBe(3);
    expect(first.items).toHaveLength(2);
    expect(first.nextToken).toBeDefined();
    const second = await admin.client.admin.listUsersPage({ limit: 2, name: marker, from: first.nextToken! });
    expect(second.items.map((user) => user.userId)).toEqual([userIdFor(`${marker}-2`)]);
    expect(second.nextToken).toBeUndefined();
    expect(second.items[0]).toMatchObject({ suspended: false, appserviceId: undefined, displayName: marker });
  });

  it('user shapes carry suspended and lastSeenMs, and keep the fields they do not name under other', async () => {
    const user = await registerUser();
    const got = await admin.client.admin.getUser(user.userId);
    expect(got).toMatchObject({ userId: user.userId, suspended: false });
    expect(got).toHaveProperty('lastSeenMs');
    expect(got?.other).toHaveProperty('consent_version');
    expect(got?.other).not.toHaveProperty('name');
    const [listed] = await collect(admin.client.admin.listUsers({ name: user.localpart }));
    expect(listed).toMatchObject({ userId: user.userId, suspended: false, appserviceId: undefined });
    // Synapse writes last-seen times to the database in batches, so a user this fresh may not have one yet.
    expect(listed).toHaveProperty('lastSeenMs');
  });

  it('listUsersPage as a non-admin fails with not_admin', async () => {
    expect(await rejectionOf(plain.client.admin.listUsersPage())).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('whois reports the device the user was seen with, and refuses a non-admin asking about someone else', async () => {
    const user = await registerUser();
    await user.client.whoami();
    const report = await admin.client.admin.whois(user.userId);
    expect(report.userId).toBe(user.userId);
    // Synapse groups the sessions under one '' key rather than per device.
    const connections = Object.values(report.devices).flatMap((device) => device.sessions.flatMap((session) => session.connections));
    expect(connections.length).toBeGreaterThan(0);
    expect(connections[0]?.ip).toBe('127.0.0.1');
    expect(typeof connections[0]?.lastSeenMs).toBe('number');
    expect(await rejectionOf(plain.client.admin.whois(user.userId))).toMatchObject({ code: 'not_admin' });
  });

  it('listJoinedRooms lists the joined rooms only; getMemberships also shows an invite', async () => {
    const user = await registerUser();
    const inviter = await registerUser();
    const { roomId: kept } = await user.client.rooms.create({ name: 'kept' });
    const { roomId: left } = await user.client.rooms.create({ name: 'left' });
    await rawCall(user, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(left)}/leave`, {});
    const { roomId: invited } = await inviter.client.rooms.create({ invite: [user.userId] });
    expect(await admin.client.admin.listJoinedRooms(user.userId)).toMatchObject({ roomIds: [kept], total: 1 });
    const { memberships } = await admin.client.admin.getMemberships(user.userId);
    expect(memberships[kept]).toBe('join');
    expect(memberships[invited]).toBe('invite');
    expect(memberships[left]).not.toBe('join');
    expect(await rejectionOf(plain.client.admin.listJoinedRooms(user.userId))).toMatchObject({ code: 'not_admin' });
    expect(await rejectionOf(plain.client.admin.getMemberships(user.userId))).toMatchObject({ code: 'not_admin' });
  });

  it('getAccountData returns global and room account data; unknown user is not_found', async () => {
    const user = await registerUser();
    const { roomId } = await user.client.rooms.create({});
    const me = encodeURIComponent(user.userId);
    await rawCall(user, 'PUT', `/_matrix/client/v3/user/${me}/account_data/org.example.setting`, { on: true });
    await rawCall(user, 'PUT', `/_matrix/client/v3/user/${me}/rooms/${encodeURIComponent(roomId)}/account_data/org.example.tag`, { n: 1 });
    const data = await admin.client.admin.getAccountData(user.userId);
    expect(data.global['org.example.setting']).toEqual({ on: true });
    expect(data.rooms[roomId]?.['org.example.tag']).toEqual({ n: 1 });
    expect(await rejectionOf(admin.client.admin.getAccountData(userIdFor(uniqueLocalpart('ghost'))))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('listPushers returns the pusher the user set; unknown user is not_found', async () => {
    const user = await registerUser();
    await rawCall(user, 'POST', '/_matrix/client/v3/pushers/set', {
      kind: 'http',
      app_id: 'org.example.app',
      app_display_name: 'Example',
      device_display_name: 'phone',
      pushkey: 'key-1',
      lang: 'en',
      data: { url: 'https://push.example.org/_matrix/push/v1/notify' },
    });
    const pushers = await admin.client.admin.listPushers(user.userId);
    expect(pushers).toHaveLength(1);
    expect(pushers[0]).toMatchObject({ appId: 'org.example.app', pushkey: 'key-1', kind: 'http', deviceDisplayName: 'phone', data: { url: 'https://push.example.org/_matrix/push/v1/notify' } });
    expect(await rejectionOf(admin.client.admin.listPushers(userIdFor(uniqueLocalpart('ghost'))))).toMatchObject({ code: 'not_found' });
  });

  it('lists the user media page by page and deletes them', async () => {
    const user = await registerUser();
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      await rawCall(user, 'POST', `/_matrix/media/v3/upload?filename=${name}`, `content of ${name}`, 'text/plain');
    }
    const first = await admin.client.admin.listUserMediaPage(user.userId, { limit: 2 });
    expect(first).toMatchObject({ total: 3, nextToken: '2' });
    expect(first.items[0]).toMatchObject({ mediaType: 'text/plain', safeFromQuarantine: false, quarantinedBy: undefined });
    const all = await collect(admin.client.admin.listUserMedia(user.userId, { limit: 2, orderBy: 'upload_name', dir: 'f' }));
    expect(all.map((media) => media.uploadName)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    const deleted = await admin.client.admin.deleteUserMedia(user.userId, { limit: 2 });
    expect(deleted.total).toBe(2);
    expect((await admin.client.admin.deleteUserMedia(user.userId)).total).toBe(1);
    expect((await admin.client.admin.listUserMediaPage(user.userId)).total).toBe(0);
    expect(await rejectionOf(admin.client.admin.listUserMediaPage(userIdFor(uniqueLocalpart('ghost'))))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.deleteUserMedia(userIdFor(uniqueLocalpart('ghost'))))).toMatchObject({ code: 'not_found' });
  });

  it('shadowBanUser and unshadowBanUser flip shadowBanned; a remote user is a bad_request', async () => {
    const user = await registerUser();
    await admin.client.admin.shadowBanUser(user.userId);
    expect((await admin.client.admin.getUser(user.userId))?.shadowBanned).toBe(true);
    await admin.client.admin.unshadowBanUser(user.userId);
    expect((await admin.client.admin.getUser(user.userId))?.shadowBanned).toBe(false);
    expect(await rejectionOf(admin.client.admin.shadowBanUser(remoteUser))).toMatchObject({ code: 'bad_request', status: 400 });
    expect(await rejectionOf(admin.client.admin.unshadowBanUser(remoteUser))).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('reads and deletes a rate-limit override; unknown user is not_found', async () => {
    const user = await registerUser();
    expect(await admin.client.admin.getRateLimitOverride(user.userId)).toBeUndefined();
    await admin.client.admin.overrideRateLimit(user.userId, { messagesPerSecond: 5, burstCount: 10 });
    expect(await admin.client.admin.getRateLimitOverride(user.userId)).toEqual({ messagesPerSecond: 5, burstCount: 10 });
    await admin.client.admin.deleteRateLimitOverride(user.userId);
    expect(await admin.client.admin.getRateLimitOverride(user.userId)).toBeUndefined();
    const ghost = userIdFor(uniqueLocalpart('ghost'));
    expect(await rejectionOf(admin.client.admin.getRateLimitOverride(ghost))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.deleteRateLimitOverride(ghost))).toMatchObject({ code: 'not_found' });
  });

  it('getUserAdmin and setUserAdmin read and change the admin flag; an admin cannot demote themselves', async () => {
    const user = await registerUser();
    expect(await admin.client.admin.getUserAdmin(user.userId)).toBe(false);
    await admin.client.admin.setUserAdmin(user.userId, true);
    expect(await admin.client.admin.getUserAdmin(user.userId)).toBe(true);
    await admin.client.admin.setUserAdmin(user.userId, false);
    expect((await admin.client.admin.getUser(user.userId))?.admin).toBe(false);
    expect(await rejectionOf(admin.client.admin.setUserAdmin(admin.userId, false))).toMatchObject({ code: 'bad_request', status: 400 });
    expect(await rejectionOf(admin.client.admin.getUserAdmin(remoteUser))).toMatchObject({ code: 'bad_request' });
  });

  it('setUserSuspended suspends (messages refused) and unsuspends; unknown user is not_found', async () => {
    const user = await registerUser();
    const { roomId } = await user.client.rooms.create({});
    await admin.client.admin.setUserSuspended(user.userId, true);
    expect((await admin.client.admin.getUser(user.userId))?.suspended).toBe(true);
    const refused = await rejectionOf(user.client.rooms.sendText(roomId, 'while suspended'));
    expect((refused as SynapseApiError).errcode).toBe('M_USER_SUSPENDED');
    await admin.client.admin.setUserSuspended(user.userId, false);
    await user.client.rooms.sendText(roomId, 'after');
    expect(await rejectionOf(admin.client.admin.setUserSuspended(userIdFor(uniqueLocalpart('ghost')), true))).toMatchObject({ code: 'not_found' });
  });

  it('redactUserEvents redacts the user messages in the background; an unknown redact id is not_found', async () => {
    const user = await registerUser();
    const { roomId } = await user.client.rooms.create({});
    const { eventId } = await user.client.rooms.sendText(roomId, 'to be redacted');
    const task = await admin.client.admin.redactUserEvents(user.userId, { rooms: [roomId], reason: 'test' });
    const done = await task.wait({ timeoutMs: 30_000, pollIntervalMs: 100 });
    expect(done).toMatchObject({ status: 'complete', failedRedactions: {} });
    const events = await user.client.rooms.recentMessages(roomId, { limit: 20 });
    expect(events.find((event) => event.event_id === eventId)?.content).toEqual({});
    expect(events.find((event) => event.type === 'm.room.redaction' && event.content['redacts'] === eventId)?.content['reason']).toBe('test');
    expect((await admin.client.admin.userRedactionStatus(task.id)).status).toBe('complete');
    expect(await rejectionOf(admin.client.admin.userRedactionStatus('no-such-redaction'))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.userRedactionTask('no-such-redaction').wait())).toMatchObject({ code: 'not_found' });
  });

  it('finds users by third-party id and by external id, undefined when nobody matches', async () => {
    const userId = userIdFor(uniqueLocalpart('lookup'));
    const email = `${uniqueLocalpart('mail')}@example.org`;
    const subject = uniqueLocalpart('sub/with:odd@chars');
    await admin.client.admin.upsertUser(userId, { threepids: [{ medium: 'email', address: email }], externalIds: [{ authProvider: 'oidc-test', externalId: subject }] });
    expect(await admin.client.admin.findUserByThreepid('email', email)).toBe(userId);
    expect(await admin.client.admin.findUserByExternalId('oidc-test', subject)).toBe(userId);
    expect(await admin.client.admin.findUserByThreepid('email', `nobody-${email}`)).toBeUndefined();
    expect(await admin.client.admin.findUserByExternalId('oidc-test', `${subject}-other`)).toBeUndefined();
    expect(await rejectionOf(plain.client.admin.findUserByThreepid('email', email))).toMatchObject({ code: 'not_admin' });
  });

  it('counts sent invites and cumulative joined rooms since a time', async () => {
    const user = await registerUser();
    const invitee = await registerUser();
    const since = Date.now() - 1_000;
    const { roomId } = await user.client.rooms.create({});
    await rawCall(user, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: invitee.userId });
    await user.client.rooms.create({});
    expect(await admin.client.admin.sentInviteCount(user.userId, { sinceMs: since })).toBe(1);
    expect(await admin.client.admin.cumulativeJoinedRoomCount(user.userId, { sinceMs: since })).toBe(2);
    expect(await admin.client.admin.sentInviteCount(user.userId, { sinceMs: Date.now() + 60_000 })).toBe(0);
    expect(await rejectionOf(plain.client.admin.sentInviteCount(user.userId, { sinceMs: since }))).toMatchObject({ code: 'not_admin' });
    expect(await rejectionOf(plain.client.admin.cumulativeJoinedRoomCount(user.userId, { sinceMs: since }))).toMatchObject({ code: 'not_admin' });
  });

  it('allowCrossSigningReplacementWithoutUia opens a window for a user with a master key, not_found without one', async () => {
    const user = await registerUser();
    const key = Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
    await rawCall(user, 'POST', '/_matrix/client/v3/keys/device_signing/upload', {
      master_key: { user_id: user.userId, usage: ['master'], keys: { [`ed25519:${key}`]: key } },
    });
    const before = Date.now();
    const { allowedUntilMs } = await admin.client.admin.allowCrossSigningReplacementWithoutUia(user.userId);
    expect(allowedUntilMs).toBeGreaterThan(before);
    expect(await rejectionOf(admin.client.admin.allowCrossSigningReplacementWithoutUia(plain.userId))).toMatchObject({ code: 'not_found' });
  });
});

describe('admin user calls Synapse refuses under delegated auth', () => {
  const { delegatedUrl, delegatedServerName } = synapseTestEnv();
  const target = `@someone:${delegatedServerName}`;
  const client = createSynapseClient({ baseUrl: delegatedUrl, accessToken: 'mct_not-a-real-token-000' });

  it.each([
    ['getUserAdmin', () => client.admin.getUserAdmin(target)],
    ['setUserAdmin', () => client.admin.setUserAdmin(target, true)],
  ])('%s raises AuthModeUnsupportedError', async (_name, call) => {
    const error = await rejectionOf(call());
    expect(error).toBeInstanceOf(AuthModeUnsupportedError);
    expect((error as AuthModeUnsupportedError).capability).toMatch(/^(user_admin_status|account_validity)$/);
    expect((error as AuthModeUnsupportedError).nextSteps.length).toBeGreaterThan(0);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, uniquePassword, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

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

import { describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { computeRegistrationMac } from './shared-secret-registration.ts';
import { nativeClient, registerUser, rejectionOf, uniqueLocalpart, uniquePassword } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

describe('shared-secret registration against a real Synapse', () => {
  it('registers an admin whose token the admin API accepts', async () => {
    const admin = await registerUser({ admin: true });
    const user = await admin.client.admin.getUser(admin.userId);
    expect(user?.admin).toBe(true);
    expect(admin.deviceId).toBeTruthy();
  });

  it('registers a non-admin whose token the admin API refuses with not_admin', async () => {
    const user = await registerUser();
    const error = await rejectionOf(user.client.admin.getUser(user.userId));
    expect(error).toBeInstanceOf(SynapseApiError);
    expect((error as SynapseApiError).code).toBe('not_admin');
    expect((error as SynapseApiError).status).toBe(403);
  });

  it('registers the lowercased localpart', async () => {
    const localpart = uniqueLocalpart('MixedCase');
    const result = await nativeClient().registerWithSharedSecret({
      sharedSecret: synapseTestEnv().sharedSecret,
      username: localpart,
      password: uniquePassword(),
    });
    expect(result.userId).toBe(`@${localpart.toLowerCase()}:${synapseTestEnv().serverName}`);
  });

  it('fails with hmac_incorrect when the shared secret is wrong', async () => {
    const error = await rejectionOf(
      nativeClient().registerWithSharedSecret({ sharedSecret: 'not-the-secret', username: uniqueLocalpart('wrong'), password: uniquePassword() }),
    );
    expect(error).toBeInstanceOf(SynapseApiError);
    expect((error as SynapseApiError).code).toBe('hmac_incorrect');
    expect((error as SynapseApiError).status).toBe(403);
  });

  it('fails with user_in_use when the user exists and existsOk is not set', async () => {
    const existing = await registerUser();
    const error = await rejectionOf(
      nativeClient().registerWithSharedSecret({ sharedSecret: synapseTestEnv().sharedSecret, username: existing.localpart, password: uniquePassword() }),
    );
    expect((error as SynapseApiError).code).toBe('user_in_use');
    expect((error as SynapseApiError).errcode).toBe('M_USER_IN_USE');
  });

  it('with existsOk and no token returns the existing user without a token', async () => {
    const existing = await registerUser();
    const result = await nativeClient().registerWithSharedSecret({
      sharedSecret: synapseTestEnv().sharedSecret,
      username: existing.localpart,
      password: uniquePassword(),
      existsOk: true,
    });
    expect(result).toEqual({ created: false, userId: existing.userId, accessToken: undefined, deviceId: undefined, tokenSource: 'none' });
  });

  it('with existsOk and an admin token returns a working login-as token for the existing user', async () => {
    const admin = await registerUser({ admin: true });
    const existing = await registerUser();
    const result = await admin.client.registerWithSharedSecret({
      sharedSecret: synapseTestEnv().sharedSecret,
      username: existing.localpart,
      password: uniquePassword(),
      existsOk: true,
    });
    expect(result.tokenSource).toBe('login-as');
    const me = await admin.client.withAccessToken(result.accessToken!).whoami();
    expect(me.userId).toBe(existing.userId);
  });

  it('a nonce is single-use: the server refuses a second POST with it', async () => {
    const { url, sharedSecret } = synapseTestEnv();
    const nonceResponse = await fetch(`${url}/_synapse/admin/v1/register`);
    const { nonce } = (await nonceResponse.json()) as { nonce: string };
    const post = (username: string, password: string) =>
      fetch(`${url}/_synapse/admin/v1/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nonce, username, password, admin: false, mac: computeRegistrationMac({ sharedSecret, nonce, username, password, admin: false }) }),
      });
    const first = await post(uniqueLocalpart('nonce'), uniquePassword());
    expect(first.status).toBe(200);
    const second = await post(uniqueLocalpart('nonce'), uniquePassword());
    expect(second.status).toBe(400);
    expect(((await second.json()) as { error: string }).error).toBe('unrecognised nonce');
  });

  it('fails with invalid_username for a localpart Synapse rejects', async () => {
    const error = await rejectionOf(
      nativeClient().registerWithSharedSecret({ sharedSecret: synapseTestEnv().sharedSecret, username: 'bad name!', password: uniquePassword() }),
    );
    expect(error).toBeInstanceOf(SynapseClientError);
    expect((error as SynapseApiError).code).toBe('invalid_username');
  });
});

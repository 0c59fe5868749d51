import { beforeAll, describe, expect, it } from 'vitest';
import { AuthModeUnsupportedError } from './auth-mode.ts';
import { createSynapseClient } from './synapse-client.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

describe('admin registration token calls against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
  });

  it('create without a token has Synapse generate one, unlimited and without expiry', async () => {
    const created = await admin.client.admin.registrationTokens.create({ length: 24 });
    expect(created).toEqual({ token: expect.stringMatching(/^[A-Za-z0-9._~-]{24}$/) as unknown, usesAllowed: null, pending: 0, completed: 0, expiryMs: null, other: {} });
    await admin.client.admin.registrationTokens.delete(created.token);
  });

  it('create with a token, get, list by validity, update and delete', async () => {
    const token = uniqueLocalpart('rt');
    const expiryMs = Date.now() + 3_600_000;
    const created = await admin.client.admin.registrationTokens.create({ token, usesAllowed: 2, expiryMs });
    expect(created).toEqual({ token, usesAllowed: 2, pending: 0, completed: 0, expiryMs, other: {} });
    expect(await admin.client.admin.registrationTokens.get(token)).toEqual(created);
    expect((await admin.client.admin.registrationTokens.list({ valid: true })).map((t) => t.token)).toContain(token);

    const spent = await admin.client.admin.registrationTokens.update(token, { usesAllowed: 0 });
    expect(spent).toMatchObject({ token, usesAllowed: 0, expiryMs });
    expect((await admin.client.admin.registrationTokens.list({ valid: true })).map((t) => t.token)).not.toContain(token);
    expect((await admin.client.admin.registrationTokens.list({ valid: false })).map((t) => t.token)).toContain(token);
    expect((await admin.client.admin.registrationTokens.list()).map((t) => t.token)).toContain(token);

    expect(await admin.client.admin.registrationTokens.update(token, { usesAllowed: null, expiryMs: null })).toMatchObject({ usesAllowed: null, expiryMs: null });
    await admin.client.admin.registrationTokens.delete(token);
    expect(await rejectionOf(admin.client.admin.registrationTokens.get(token))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('an unknown token is not_found for get, update and delete, and the error never shows the token', async () => {
    const token = uniqueLocalpart('missing');
    for (const call of [
      () => admin.client.admin.registrationTokens.get(token),
      () => admin.client.admin.registrationTokens.update(token, { usesAllowed: 1 }),
      () => admin.client.admin.registrationTokens.delete(token),
    ]) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(SynapseApiError);
      expect(error).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
      expect(JSON.stringify({ ...(error as SynapseApiError), message: (error as Error).message })).not.toContain(token);
    }
  });

  it('refuses a duplicate token and an expiry in the past as M_INVALID_PARAM', async () => {
    const token = uniqueLocalpart('dup');
    await admin.client.admin.registrationTokens.create({ token });
    const duplicate = await rejectionOf(admin.client.admin.registrationTokens.create({ token }));
    expect(duplicate).toMatchObject({ code: 'bad_request', status: 400, errcode: 'M_INVALID_PARAM' });
    expect((duplicate as Error).message).not.toContain(token);
    expect(await rejectionOf(admin.client.admin.registrationTokens.create({ expiryMs: Date.now() - 60_000 }))).toMatchObject({ code: 'bad_request', errcode: 'M_INVALID_PARAM' });
    await admin.client.admin.registrationTokens.delete(token);
  });

  it('a non-admin caller is not_admin', async () => {
    const user = await registerUser();
    expect(await rejectionOf(user.client.admin.registrationTokens.list())).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('under delegated auth every call is AuthModeUnsupportedError, found out when the route is missing', async () => {
    const client = createSynapseClient({ baseUrl: synapseTestEnv().delegatedUrl, accessToken: 'mct_not-a-real-token-000' });
    const api = client.admin.registrationTokens;
    for (const call of [() => api.list(), () => api.get('abc'), () => api.create({ usesAllowed: 1 }), () => api.update('abc', { usesAllowed: 1 }), () => api.delete('abc')]) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(AuthModeUnsupportedError);
      expect(error).toMatchObject({ code: 'unsupported_in_auth_mode', capability: 'registration_tokens' });
      expect((error as AuthModeUnsupportedError).nextSteps.join(' ')).toContain('Matrix Authentication Service');
    }
  });
});

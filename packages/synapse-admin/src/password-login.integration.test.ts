import { describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf } from './test-support/fixtures.ts';

// Synapse limits logins per IP (5 burst, then ~1 per 333 s) for the whole run: this file does the suite's only
// password logins (2). Everything else mints tokens through registration or login-as.
describe('password login, whoami and logout against a real Synapse', () => {
  it('logs in with m.id.user and the token identifies the user and its device', async () => {
    const user = await registerUser();
    const session = await user.client.loginWithPassword({ user: user.localpart, password: user.password, deviceId: 'LOGINTEST' });
    expect(session.userId).toBe(user.userId);
    expect(session.deviceId).toBe('LOGINTEST');
    const me = await user.client.withAccessToken(session.accessToken).whoami();
    expect(me).toEqual({ userId: user.userId, deviceId: 'LOGINTEST', isGuest: false });
  });

  it('refuses a wrong password with invalid_credentials', async () => {
    const user = await registerUser();
    const error = await rejectionOf(user.client.loginWithPassword({ user: user.userId, password: 'definitely-wrong' }));
    expect(error).toBeInstanceOf(SynapseApiError);
    expect((error as SynapseApiError).code).toBe('invalid_credentials');
  });

  it('whoami of a registration token names the user and the registered device', async () => {
    const user = await registerUser();
    const me = await user.client.whoami();
    expect(me.userId).toBe(user.userId);
    expect(me.deviceId).toBe(user.deviceId);
  });

  it('logout invalidates the token: whoami then answers unknown_token', async () => {
    const user = await registerUser();
    await user.client.logout();
    const error = await rejectionOf(user.client.whoami());
    expect(error).toBeInstanceOf(SynapseApiError);
    expect((error as SynapseApiError).code).toBe('unknown_token');
    expect((error as SynapseApiError).status).toBe(401);
    expect((error as SynapseApiError).softLogout).toBe(false);
  });
});

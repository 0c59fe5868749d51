import { beforeAll, describe, expect, it } from 'vitest';
import { AuthModeUnsupportedError } from './auth-mode.ts';
import { createSynapseClient } from './synapse-client.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

// The sandbox Synapse does not enable account_validity: renewing without an explicit date fails inside Synapse,
// which the client reports as account_validity_disabled.
describe('account validity admin calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
  });

  it('reports account_validity_disabled when Synapse has no validity period to add', async () => {
    const error = await rejectionOf(admin.client.admin.accountValidity.renew(user.userId));
    expect(error).toMatchObject({ code: 'account_validity_disabled', method: 'POST', path: '/_synapse/admin/v1/account_validity/validity' });
    expect((error as Error).cause).toBeInstanceOf(SynapseApiError);
    expect((error as { nextSteps: string[] }).nextSteps.join('\n')).toContain('account_validity');
  });

  it('sets an explicit expiry and returns it', async () => {
    const expirationMs = Date.now() + 30 * 86_400_000;
    expect(await admin.client.admin.accountValidity.renew(user.userId, { expirationMs, enableRenewalEmails: false })).toEqual({ expirationMs });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    const error = await rejectionOf(user.client.admin.accountValidity.renew(user.userId, { expirationMs: Date.now() + 86_400_000 }));
    expect(error).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('is refused under delegated auth, where Synapse does not serve it', async () => {
    const { delegatedUrl, delegatedServerName } = synapseTestEnv();
    const client = createSynapseClient({ baseUrl: delegatedUrl, accessToken: 'mct_not-a-real-token-000' });
    const error = await rejectionOf(client.admin.accountValidity.renew(`@someone:${delegatedServerName}`));
    expect(error).toBeInstanceOf(AuthModeUnsupportedError);
    expect((error as AuthModeUnsupportedError).capability).toBe('account_validity');
    expect((error as AuthModeUnsupportedError).nextSteps.join('\n')).toContain('mas-cli manage lock-user');
  });
});

import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { AuthModeUnsupportedError } from './auth-mode.ts';
import { createSynapseClient } from './synapse-client.ts';
import { nativeClient, rejectionOf, uniqueLocalpart, uniquePassword } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

describe('auth mode detection against real Synapses', () => {
  it('detects native auth, with evidence from every probe', async () => {
    const report = await nativeClient().detectAuthMode();
    expect(report.mode).toBe('native');
    expect(report.evidence.map((item) => [item.probe, item.indicates])).toEqual([
      ['auth_metadata', 'native'],
      ['register_nonce', 'native'],
      ['login_flows', 'native'],
    ]);
  });

  it('detects delegated auth on the Synapse with matrix_authentication_service enabled', async () => {
    const report = await createSynapseClient({ baseUrl: synapseTestEnv().delegatedUrl }).detectAuthMode();
    expect(report.mode).toBe('delegated');
    const register = report.evidence.find((item) => item.probe === 'register_nonce');
    expect(register).toMatchObject({ status: 404, errcode: 'M_UNRECOGNIZED', indicates: 'delegated' });
  });

  it('refuses shared-secret registration under delegated auth and says to use mas-cli', async () => {
    const client = createSynapseClient({ baseUrl: synapseTestEnv().delegatedUrl });
    const error = await rejectionOf(
      client.registerWithSharedSecret({ sharedSecret: 'irrelevant-secret', username: uniqueLocalpart('mas'), password: uniquePassword() }),
    );
    expect(error).toBeInstanceOf(AuthModeUnsupportedError);
    expect((error as AuthModeUnsupportedError).code).toBe('unsupported_in_auth_mode');
    expect((error as AuthModeUnsupportedError).capability).toBe('shared_secret_registration');
    expect((error as AuthModeUnsupportedError).nextSteps.join('\n')).toContain('mas-cli manage issue-compatibility-token');
    expect((error as AuthModeUnsupportedError).evidence.length).toBe(3);
  });

  it('refuses login-as under delegated auth after the route turns out to be missing', async () => {
    const { delegatedUrl, delegatedServerName } = synapseTestEnv();
    const client = createSynapseClient({ baseUrl: delegatedUrl, accessToken: 'mct_not-a-real-token-000' });
    const error = await rejectionOf(client.admin.loginAsUser(`@someone:${delegatedServerName}`));
    expect(error).toBeInstanceOf(AuthModeUnsupportedError);
    expect((error as AuthModeUnsupportedError).capability).toBe('login_as');
    expect((error as AuthModeUnsupportedError).nextSteps.join('\n')).toContain('mas-cli manage issue-compatibility-token');
  });

  it('refuses login-as without any request when the caller declared delegated auth', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const client = createSynapseClient({ baseUrl: 'http://synapse.invalid', dispatcher: agent, accessToken: 'tok-declared', authMode: 'delegated' });
    const error = await rejectionOf(client.admin.loginAsUser('@someone:example.org'));
    expect(error).toBeInstanceOf(AuthModeUnsupportedError);
    await agent.close();
  });
});

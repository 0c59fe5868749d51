import { describe, expect, it } from 'vitest';
import { AuthModeUnsupportedError } from './auth-mode.ts';
import { createSynapseClient } from './synapse-client.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { rejectionOf } from './test-support/fixtures.ts';
import { JSON_HEADERS, mockSynapse } from './test-support/mock-synapse.ts';

const UNRECOGNIZED = { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' };

describe('detectAuthMode over a mock server', () => {
  it('auth metadata with an issuer means delegated, even if the other probes disagree', async () => {
    const { agent, pool, client } = mockSynapse();
    pool.intercept({ path: '/_matrix/client/v1/auth_metadata', method: 'GET' }).reply(200, { issuer: 'https://auth.mock/' }, JSON_HEADERS);
    pool.intercept({ path: '/_synapse/admin/v1/register', method: 'GET' }).reply(200, { nonce: 'n' }, JSON_HEADERS);
    pool.intercept({ path: '/_matrix/client/v3/login', method: 'GET' }).reply(200, { flows: [{ type: 'm.login.password' }] }, JSON_HEADERS);
    const report = await client.detectAuthMode();
    expect(report.mode).toBe('delegated');
    expect(report.evidence[0]).toMatchObject({ probe: 'auth_metadata', status: 200, indicates: 'delegated' });
    await agent.close();
  });

  it('login flows preferring OAuth point to delegated when the other probes are hidden by a proxy', async () => {
    const { agent, pool, client } = mockSynapse();
    const html = { headers: { 'content-type': 'text/html' } };
    pool.intercept({ path: '/_matrix/client/v1/auth_metadata', method: 'GET' }).reply(404, '<html>nope</html>', html);
    pool.intercept({ path: '/_synapse/admin/v1/register', method: 'GET' }).reply(404, '<html>nope</html>', html);
    pool
      .intercept({ path: '/_matrix/client/v3/login', method: 'GET' })
      .reply(200, { flows: [{ type: 'm.login.sso', oauth_aware_preferred: true }, { type: 'm.login.token' }] }, JSON_HEADERS);
    const report = await client.detectAuthMode();
    expect(report.mode).toBe('delegated');
    expect(report.evidence.map((item) => item.indicates)).toEqual(['inconclusive', 'inconclusive', 'delegated']);
    await agent.close();
  });

  it('throws auth_mode_unknown when no probe is conclusive', async () => {
    const { agent, pool, client } = mockSynapse();
    const html = { headers: { 'content-type': 'text/html' } };
    for (const path of ['/_matrix/client/v1/auth_metadata', '/_synapse/admin/v1/register', '/_matrix/client/v3/login']) {
      pool.intercept({ path, method: 'GET' }).reply(404, '<html>nope</html>', html);
    }
    const error = await rejectionOf(client.detectAuthMode());
    expect(error).toBeInstanceOf(SynapseClientError);
    expect((error as SynapseClientError).code).toBe('auth_mode_unknown');
    await agent.close();
  });

  it('turns a missing register route into AuthModeUnsupportedError when the server delegates', async () => {
    const { agent, pool, client } = mockSynapse();
    pool.intercept({ path: '/_synapse/admin/v1/register', method: 'GET' }).reply(404, UNRECOGNIZED, JSON_HEADERS).times(2);
    pool.intercept({ path: '/_matrix/client/v1/auth_metadata', method: 'GET' }).reply(200, { issuer: 'https://auth.mock/' }, JSON_HEADERS);
    pool.intercept({ path: '/_matrix/client/v3/login', method: 'GET' }).reply(404, UNRECOGNIZED, JSON_HEADERS);
    const error = (await rejectionOf(client.registerWithSharedSecret({ sharedSecret: 'sss-1', username: 'u', password: 'pw-1' }))) as AuthModeUnsupportedError;
    expect(error).toBeInstanceOf(AuthModeUnsupportedError);
    expect(error.capability).toBe('shared_secret_registration');
    expect(error.nextSteps.join('\n')).toContain('mas-cli manage issue-compatibility-token');
    expect((error.cause as SynapseClientError).code).toBe('route_missing');
    await agent.close();
  });
});

describe('detectAuthMode against a server that does not answer', () => {
  it('throws the network error (connection_refused), not auth_mode_unknown', async () => {
    const client = createSynapseClient({ baseUrl: 'http://127.0.0.1:1', retry: { maxRetries: 0 } });
    const error = await rejectionOf(client.detectAuthMode());
    expect(error).toBeInstanceOf(SynapseClientError);
    expect((error as SynapseClientError).code).toBe('connection_refused');
  });
});

import { describe, expect, it } from 'vitest';
import { parseRetryAfterHeader, SynapseApiError } from './synapse-api-error.ts';
import { rejectionOf } from './test-support/fixtures.ts';
import { JSON_HEADERS, mockSynapse } from './test-support/mock-synapse.ts';

const USER_PATH = '/_synapse/admin/v2/users/%40alice%3Amock';

describe('SynapseApiError classification', () => {
  it('an HTML 404 from a proxy is proxy_blocked, with a hint about /_synapse/admin', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-1' });
    pool.intercept({ path: USER_PATH, method: 'GET' }).reply(404, '<html><body>404 Not Found</body></html>', { headers: { 'content-type': 'text/html' } });
    const error = (await rejectionOf(client.admin.getUser('@alice:mock'))) as SynapseApiError;
    expect(error).toBeInstanceOf(SynapseApiError);
    expect(error.code).toBe('proxy_blocked');
    expect(error.status).toBe(404);
    expect(error.errcode).toBeUndefined();
    expect(error.nextSteps.join(' ')).toContain('/_synapse/admin');
    expect(error.path).toBe(USER_PATH);
    expect(error.method).toBe('GET');
    await agent.close();
  });

  it('a JSON 404 M_UNRECOGNIZED is route_missing', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-1' });
    pool.intercept({ path: '/_synapse/admin/v2/users/%40alice%3Amock/devices', method: 'GET' }).reply(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }, JSON_HEADERS);
    const error = (await rejectionOf(client.admin.listDevices('@alice:mock'))) as SynapseApiError;
    expect(error.code).toBe('route_missing');
    await agent.close();
  });

  it('a JSON 404 M_NOT_FOUND is not_found', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-1' });
    pool.intercept({ path: '/_synapse/admin/v2/users/%40alice%3Amock/devices', method: 'GET' }).reply(404, { errcode: 'M_NOT_FOUND', error: 'User not found' }, JSON_HEADERS);
    const error = (await rejectionOf(client.admin.listDevices('@alice:mock'))) as SynapseApiError;
    expect(error.code).toBe('not_found');
    expect(error.serverMessage).toBe('User not found');
    await agent.close();
  });

  it('a 503 from a delegated Synapse that cannot introspect is auth_service_unreachable', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-1', retry: { maxRetries: 0 } });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(503, { errcode: 'M_UNKNOWN', error: 'Unable to introspect the access token' }, JSON_HEADERS);
    const error = (await rejectionOf(client.whoami())) as SynapseApiError;
    expect(error.code).toBe('auth_service_unreachable');
    await agent.close();
  });

  it('prefers the Retry-After header over retry_after_ms', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-user-1', retry: { maxRetries: 0 } });
    pool
      .intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' })
      .reply(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: 1234 }, { headers: { 'content-type': 'application/json', 'retry-after': '2' } });
    const error = (await rejectionOf(client.whoami())) as SynapseApiError;
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(2000);
    await agent.close();
  });

  it('falls back to retry_after_ms without a Retry-After header', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-user-1', retry: { maxRetries: 0 } });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1234 }, JSON_HEADERS);
    expect(((await rejectionOf(client.whoami())) as SynapseApiError).retryAfterMs).toBe(1234);
    await agent.close();
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterHeader('5')).toBe(5000);
    expect(parseRetryAfterHeader(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfterHeader(undefined)).toBeUndefined();
    expect(parseRetryAfterHeader('soon')).toBeUndefined();
  });

  it('a soft-logout M_UNKNOWN_TOKEN carries softLogout and its own code', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-expired-1' });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(401, { errcode: 'M_UNKNOWN_TOKEN', error: 'Token expired', soft_logout: true }, JSON_HEADERS);
    const error = (await rejectionOf(client.whoami())) as SynapseApiError;
    expect(error).toMatchObject({ code: 'token_soft_logout', softLogout: true, status: 401, errcode: 'M_UNKNOWN_TOKEN' });
    await agent.close();
  });

  it('a 2xx body of the wrong shape is invalid_response, without echoing the body', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-user-1' });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(200, { device_id: 'secret-ish-value', user_id: 42 }, JSON_HEADERS);
    const error = (await rejectionOf(client.whoami())) as SynapseApiError;
    expect(error.code).toBe('invalid_response');
    expect(error.message).toContain('user_id');
    expect(error.message).not.toContain('secret-ish-value');
    await agent.close();
  });

  it('whoami tolerates unknown fields', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-user-1' });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(200, { user_id: '@a:mock', is_guest: false, 'org.example.future': { x: 1 } }, JSON_HEADERS);
    expect(await client.whoami()).toEqual({ userId: '@a:mock', deviceId: undefined, isGuest: false });
    await agent.close();
  });

  it('scrubs a token the server echoes back in its error text', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'echoed-token-value' });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(400, { errcode: 'M_UNKNOWN', error: 'bad token echoed-token-value' }, JSON_HEADERS);
    const error = (await rejectionOf(client.whoami())) as SynapseApiError;
    expect(`${error.message} ${error.serverMessage} ${error.stack} ${JSON.stringify(error)}`).not.toContain('echoed-token-value');
    await agent.close();
  });
});

import { describe, expect, it } from 'vitest';
import type { SynapseRequestEvent } from './request-log-event.ts';
import { createSynapseClient } from './synapse-client.ts';
import { JSON_HEADERS, MOCK_ORIGIN, mockSynapse } from './test-support/mock-synapse.ts';

describe('SynapseTransport', () => {
  it('sends the token only in the Authorization header, never in the URL', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-header-only' });
    const seen: { path: string; authorization: unknown }[] = [];
    pool.intercept({ path: () => true, method: 'GET' }).reply((request) => {
      const headers = request.headers as Record<string, string>;
      seen.push({ path: request.path, authorization: headers['authorization'] });
      return { statusCode: 200, data: { user_id: '@a:mock' }, responseOptions: JSON_HEADERS };
    });
    await client.whoami();
    expect(seen).toEqual([{ path: '/_matrix/client/v3/account/whoami', authorization: 'Bearer tok-header-only' }]);
    await agent.close();
  });

  it('keeps a base URL path prefix and encodes ids in paths and queries', async () => {
    const { agent, pool } = mockSynapse();
    const client = createSynapseClient({ baseUrl: `${MOCK_ORIGIN}/matrix/`, dispatcher: agent, accessToken: 'tok-admin-x' });
    pool.intercept({ path: '/matrix/_synapse/admin/v1/username_available?username=a%20b', method: 'GET' }).reply(200, { available: true }, JSON_HEADERS);
    expect(await client.admin.isUsernameAvailable('a b')).toEqual({ available: true });
    await agent.close();
  });

  it('reports route template, status, duration and attempt to the logger, and nothing else', async () => {
    const events: SynapseRequestEvent[] = [];
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-y', logger: (event) => events.push(event) });
    pool.intercept({ path: '/_synapse/admin/v2/users/%40carol%3Amock', method: 'GET' }).reply(404, { errcode: 'M_NOT_FOUND', error: 'User not found' }, JSON_HEADERS);
    expect(await client.admin.getUser('@carol:mock')).toBeUndefined();
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({ type: 'response', method: 'GET', route: '/_synapse/admin/v2/users/{userId}', status: 404, errcode: 'M_NOT_FOUND', attempt: 1 });
    expect(event?.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(events)).not.toContain('carol');
    await agent.close();
  });

  it('a throwing logger does not break the call', async () => {
    const { agent, pool, client } = mockSynapse({
      accessToken: 'tok-z-1234',
      logger: () => {
        throw new Error('logger bug');
      },
    });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(200, { user_id: '@a:mock' }, JSON_HEADERS);
    expect((await client.whoami()).userId).toBe('@a:mock');
    await agent.close();
  });

  it('withAccessToken returns a new client and leaves the original unchanged', () => {
    const { client } = mockSynapse();
    const derived = client.withAccessToken('tok-derived');
    expect(derived).not.toBe(client);
    expect(client.hasAccessToken).toBe(false);
    expect(derived.hasAccessToken).toBe(true);
    expect(Object.isFrozen(derived)).toBe(true);
  });

  it('refuses a base URL with credentials or a query string', () => {
    expect(() => createSynapseClient({ baseUrl: 'http://user:pw@synapse.mock' })).toThrow(TypeError);
    expect(() => createSynapseClient({ baseUrl: 'http://synapse.mock/?access_token=x' })).toThrow(TypeError);
  });
});

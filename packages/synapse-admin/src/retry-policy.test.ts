import { describe, expect, it } from 'vitest';
import { resolveRetryPolicy, retryDelayMs } from './retry-policy.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import type { SynapseRequestEvent } from './request-log-event.ts';
import { rejectionOf } from './test-support/fixtures.ts';
import { JSON_HEADERS, mockSynapse } from './test-support/mock-synapse.ts';

function apiError(status: number, retryAfterMs?: number): SynapseApiError {
  return new SynapseApiError({
    code: status === 429 ? 'rate_limited' : 'server_error',
    message: 'x',
    nextSteps: [],
    method: 'GET',
    path: '/x',
    status,
    errcode: undefined,
    serverMessage: undefined,
    softLogout: false,
    retryAfterMs,
  });
}

describe('retryDelayMs', () => {
  const policy = resolveRetryPolicy({ maxRetries: 2, maxRetryWaitMs: 10_000, backoffBaseMs: 100, backoffMaxMs: 1_000 });

  it('waits what a 429 asks for, on idempotent and rate-limit-only calls', () => {
    expect(retryDelayMs(policy, apiError(429, 2_000), 'idempotent', 1)).toBe(2_000);
    expect(retryDelayMs(policy, apiError(429, 2_000), 'rate-limit-only', 1)).toBe(2_000);
  });

  it('never retries a call marked never', () => {
    expect(retryDelayMs(policy, apiError(429, 10), 'never', 1)).toBeUndefined();
  });

  it('refuses a 429 wait beyond maxRetryWaitMs', () => {
    expect(retryDelayMs(policy, apiError(429, 60_000), 'idempotent', 1)).toBeUndefined();
  });

  it('stops after maxRetries', () => {
    expect(retryDelayMs(policy, apiError(429, 10), 'idempotent', 3)).toBeUndefined();
  });

  it('backs off exponentially with jitter on 5xx, only for idempotent calls', () => {
    expect(retryDelayMs(policy, apiError(503), 'idempotent', 1, () => 1)).toBe(100);
    expect(retryDelayMs(policy, apiError(503), 'idempotent', 2, () => 0)).toBe(100);
    expect(retryDelayMs(policy, apiError(503), 'rate-limit-only', 1)).toBeUndefined();
  });

  it('rejects negative bounds', () => {
    expect(() => resolveRetryPolicy({ maxRetries: -1 })).toThrow(RangeError);
  });
});

describe('retries through the transport', () => {
  it('retries a GET after a 502 and logs both attempts', async () => {
    const events: SynapseRequestEvent[] = [];
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-1234', logger: (event) => events.push(event) });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(502, 'Bad Gateway', { headers: { 'content-type': 'text/plain' } });
    pool.intercept({ path: '/_matrix/client/v3/account/whoami', method: 'GET' }).reply(200, { user_id: '@a:mock' }, JSON_HEADERS);
    expect((await client.whoami()).userId).toBe('@a:mock');
    expect(events.map((event) => [event.attempt, event.status, event.retryInMs !== undefined])).toEqual([
      [1, 502, true],
      [2, 200, false],
    ]);
    expect(events[0]).toMatchObject({ method: 'GET', route: '/_matrix/client/v3/account/whoami', code: 'server_error' });
    await agent.close();
  });

  it('does not retry createRoom after a 500 (it may have created the room)', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-1234' });
    pool.intercept({ path: '/_matrix/client/v3/createRoom', method: 'POST' }).reply(500, { errcode: 'M_UNKNOWN', error: 'boom' }, JSON_HEADERS);
    expect(((await rejectionOf(client.rooms.create())) as SynapseApiError).code).toBe('server_error');
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  it('retries createRoom after a 429 (the server did nothing)', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-1234' });
    pool.intercept({ path: '/_matrix/client/v3/createRoom', method: 'POST' }).reply(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 5 }, JSON_HEADERS);
    pool.intercept({ path: '/_matrix/client/v3/createRoom', method: 'POST' }).reply(200, { room_id: '!r:mock' }, JSON_HEADERS);
    expect(await client.rooms.create()).toEqual({ roomId: '!r:mock' });
    await agent.close();
  });

  it('does not retry a password login 429 unless the caller opts in', async () => {
    const { agent, pool, client } = mockSynapse();
    pool.intercept({ path: '/_matrix/client/v3/login', method: 'POST' }).reply(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 5 }, JSON_HEADERS);
    expect(((await rejectionOf(client.loginWithPassword({ user: 'a', password: 'pw-123456' }))) as SynapseApiError).code).toBe('rate_limited');
    pool.intercept({ path: '/_matrix/client/v3/login', method: 'POST' }).reply(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 5 }, JSON_HEADERS);
    pool.intercept({ path: '/_matrix/client/v3/login', method: 'POST' }).reply(200, { user_id: '@a:mock', access_token: 'syt_a_b_c', device_id: 'D' }, JSON_HEADERS);
    expect((await client.loginWithPassword({ user: 'a', password: 'pw-123456', retryOnRateLimit: true })).deviceId).toBe('D');
    await agent.close();
  });
});

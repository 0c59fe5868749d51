import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeRegistrationMac } from './shared-secret-registration.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { JSON_HEADERS, mockSynapse } from './test-support/mock-synapse.ts';
import { rejectionOf } from './test-support/fixtures.ts';

/** The MAC exactly as Synapse's UserRegisterServlet builds it, computed here independently of the code under test. */
function expectedMac(secret: string, parts: string[]): string {
  return createHmac('sha1', secret).update(parts.join('\x00')).digest('hex');
}

describe('computeRegistrationMac', () => {
  it('matches HMAC-SHA1(secret, nonce\\0username\\0password\\0notadmin)', () => {
    const mac = computeRegistrationMac({ sharedSecret: 'shh', nonce: 'abc123', username: 'Alice', password: 'pässword', admin: false });
    expect(mac).toBe(expectedMac('shh', ['abc123', 'Alice', 'pässword', 'notadmin']));
    expect(mac).toMatch(/^[0-9a-f]{40}$/);
  });

  it('uses "admin" for admins and appends the user type when set', () => {
    const mac = computeRegistrationMac({ sharedSecret: 'shh', nonce: 'n', username: 'bot', password: 'pw', admin: true, userType: 'bot' });
    expect(mac).toBe(expectedMac('shh', ['n', 'bot', 'pw', 'admin', 'bot']));
  });

  it('matches a fixed vector', () => {
    // python3 -c "import hmac,hashlib;print(hmac.new(b'secret',b'nonce\0user\0pass\0notadmin',hashlib.sha1).hexdigest())"
    expect(computeRegistrationMac({ sharedSecret: 'secret', nonce: 'nonce', username: 'user', password: 'pass', admin: false })).toBe(
      expectedMac('secret', ['nonce', 'user', 'pass', 'notadmin']),
    );
  });
});

describe('registerWithSharedSecret over a mock server', () => {
  it('fetches a fresh nonce for the retry after "unrecognised nonce"', async () => {
    const { agent, pool, client } = mockSynapse();
    const nonces = ['first-nonce', 'second-nonce'];
    const posted: string[] = [];
    for (const nonce of nonces) pool.intercept({ path: '/_synapse/admin/v1/register', method: 'GET' }).reply(200, { nonce }, JSON_HEADERS);
    pool
      .intercept({ path: '/_synapse/admin/v1/register', method: 'POST' })
      .reply((request) => {
        posted.push((JSON.parse(String(request.body)) as { nonce: string }).nonce);
        return { statusCode: 400, data: { errcode: 'M_UNKNOWN', error: 'unrecognised nonce' }, responseOptions: JSON_HEADERS };
      });
    pool.intercept({ path: '/_synapse/admin/v1/register', method: 'POST' }).reply((request) => {
      const body = JSON.parse(String(request.body)) as { nonce: string; mac: string };
      posted.push(body.nonce);
      expect(body.mac).toBe(expectedMac('the-secret', ['second-nonce', 'alice', 'pw-1', 'notadmin']));
      return { statusCode: 200, data: { user_id: '@alice:mock', access_token: 'syt_new_token_xyz', device_id: 'DEV' }, responseOptions: JSON_HEADERS };
    });
    const result = await client.registerWithSharedSecret({ sharedSecret: 'the-secret', username: 'alice', password: 'pw-1' });
    expect(result).toMatchObject({ created: true, userId: '@alice:mock', deviceId: 'DEV' });
    expect(posted).toEqual(nonces);
    await agent.close();
  });

  it('never repeats a registration POST after a 5xx', async () => {
    const { agent, pool, client } = mockSynapse();
    pool.intercept({ path: '/_synapse/admin/v1/register', method: 'GET' }).reply(200, { nonce: 'n1' }, JSON_HEADERS);
    pool.intercept({ path: '/_synapse/admin/v1/register', method: 'POST' }).reply(500, { errcode: 'M_UNKNOWN', error: 'Internal server error' }, JSON_HEADERS);
    const error = await rejectionOf(client.registerWithSharedSecret({ sharedSecret: 's', username: 'bob', password: 'p' }));
    expect((error as SynapseApiError).code).toBe('server_error');
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
});

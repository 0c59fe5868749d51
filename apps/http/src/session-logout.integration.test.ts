import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, prepareServiceSandbox, psql, startSandboxService, type ServiceSandbox } from './test-support/service-fixture.ts';

type ErrorShape = { error: { code: string; message: string; nextSteps: string[] } };

// Two instances of the service on one config (one session key, one Postgres), as replicas of a Deployment.
let sandbox: ServiceSandbox;
let a: Awaited<ReturnType<typeof startSandboxService>>;
let b: Awaited<ReturnType<typeof startSandboxService>>;

beforeAll(async () => {
  sandbox = await prepareServiceSandbox({ sessionSecret: true });
  [a, b] = await Promise.all([startSandboxService(sandbox), startSandboxService(sandbox)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

async function login(on: { url: string }): Promise<string> {
  const response = await call(on, '/session', { json: { token: sandbox.tokens.ops } });
  expect(response.status).toBe(200);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

describe('logging out ends the session on every instance', () => {
  it('a copy of the cookie saved before POST /session/logout on one instance reads nothing afterwards, on either instance', async () => {
    const cookie = await login(a);
    const kept = await login(a);
    // Before the logout the session reads on both instances (the key is shared).
    for (const instance of [a, b]) expect((await call(instance, '/v1/runs', { headers: { cookie } })).status).toBe(200);

    const logout = await call(b, '/session/logout', { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^mr_session=;.*Max-Age=0/);

    for (const instance of [a, b]) {
      const refused = await call(instance, '/v1/runs', { headers: { cookie } });
      expect(refused.status).toBe(401);
      expect((refused.json() as ErrorShape).error.code).toBe('session_invalid');
      const page = await call(instance, '/', { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.text).toContain('was logged out');
      expect(page.text).toContain('action="/session"');
    }
    // Another session of the same token is its own: it still reads.
    expect((await call(a, '/v1/runs', { headers: { cookie: kept } })).status).toBe(200);
    // Postgres keeps the session's id until it would have expired; never the cookie or a token.
    const rows = await psql('SELECT session_id, expires_at > now() + interval \'7 hours\' FROM matrix_reset.session_revocation');
    const value = cookie.slice('mr_session='.length);
    const id = (JSON.parse(Buffer.from(value.split('.')[0] ?? '', 'base64url').toString('utf8')) as { i: string }).i;
    expect(rows).toContain(`${id}\tt`);
    for (const row of rows) {
      expect(row).not.toContain(value);
      for (const secret of sandbox.secrets) expect(row).not.toContain(secret);
    }
  });

  it('logging out twice, or without a cookie, answers 204', async () => {
    const cookie = await login(b);
    for (const headers of [{ cookie }, { cookie }, {}] as Record<string, string>[]) expect((await call(a, '/session/logout', { method: 'POST', headers })).status).toBe(204);
    expect((await call(b, '/v1/drift', { headers: { cookie } })).status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, closedPort, insertUserWithDeadToken, psql, startServiceFixture, storedCredentials, type ServiceFixture } from './test-support/service-fixture.ts';

let fixture: ServiceFixture;
/** Tokens minted for app users during the tests: the secret scan looks for them too. */
const mintedTokens: string[] = [];
/** Every response body that must not carry a secret. */
const bodies: string[] = [];

type Credentials = { userId: string; deviceId: string | null; source: string; accessToken?: string };
type ErrorShape = { error: { code: string; message: string; nextSteps: string[] } };

async function ensure(id: string, token: string, json: unknown = { schema: fixture.schema }) {
  const response = await call(fixture, `/v1/users/${id}/matrix-credentials`, { token, json });
  if (!response.text.includes('accessToken')) bodies.push(response.text);
  return response;
}

beforeAll(async () => {
  fixture = await startServiceFixture({ serviceYaml: ['  bodyLimitBytes: 1024', '  rateLimit: { perMinute: 60, burst: 200 }'] });
});

afterAll(async () => {
  await fixture?.close();
});

describe('health', () => {
  it('answers /healthz without auth', async () => {
    const response = await call(fixture, '/healthz');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when Postgres and Synapse (with the admin token) answer', async () => {
    const response = await call(fixture, '/readyz');
    bodies.push(response.text);
    expect(response.status).toBe(200);
    const body = response.json() as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.status).toBe('ready');
    expect(body.checks.map((check) => [check.name, check.ok])).toEqual([
      ['postgres', true],
      ['synapse', true],
    ]);
  });
});

describe('authentication and scopes', () => {
  it('refuses a request without Authorization with 401 JSON and WWW-Authenticate: Bearer', async () => {
    const response = await call(fixture, '/v1/drift');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((response.json() as ErrorShape).error.code).toBe('unauthenticated');
  });

  it('refuses a scheme other than Bearer', async () => {
    const response = await call(fixture, '/v1/drift', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(response.status).toBe(401);
    expect((response.json() as ErrorShape).error.message).toContain('Bearer');
  });

  it('refuses an unknown token with 401 invalid_token', async () => {
    const response = await call(fixture, '/v1/drift', { token: `mrs_${'x'.repeat(43)}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((response.json() as ErrorShape).error.code).toBe('invalid_token');
  });

  it('refuses a known token without the scope with 403 naming the scope', async () => {
    const response = await call(fixture, '/v1/drift', { token: fixture.tokens.ensure });
    expect(response.status).toBe(403);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('insufficient_scope');
    expect(body.error.message).toContain('read');
    expect(response.headers.get('www-authenticate')).toContain('scope="read"');
  });

  it('refuses ensure for a token with only read', async () => {
    const response = await ensure('1', fixture.tokens.ops);
    expect(response.status).toBe(403);
    expect((response.json() as ErrorShape).error.message).toContain('credentials:ensure');
  });
});

describe('POST /v1/users/{appUserId}/matrix-credentials', () => {
  it('creates the Matrix user of a row whose token died, writes the row, and returns the token only with credentials:read', async () => {
    const user = await insertUserWithDeadToken(fixture.schema);
    const first = await ensure(user.id, fixture.tokens.reader);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const created = first.json() as Credentials;
    expect(created).toMatchObject({ userId: user.userId, deviceId: null, source: 'created' });
    expect(created.accessToken).toMatch(/^syt_/);
    mintedTokens.push(created.accessToken ?? '');
    const row = await storedCredentials(fixture.schema, user.id);
    expect(row).toEqual({ userId: user.userId, accessToken: created.accessToken });

    // The same user again, by a caller without credentials:read: the stored token works, so it is kept, not shown.
    const second = await ensure(user.id, fixture.tokens.ensure);
    expect(second.status).toBe(200);
    const kept = second.json() as Credentials;
    expect(kept).toEqual({ userId: user.userId, deviceId: null, source: 'kept' });
    expect(second.text).not.toContain(created.accessToken);
    expect((await storedCredentials(fixture.schema, user.id)).accessToken).toBe(created.accessToken);
  });

  it('mints a token with login-as when the Matrix user exists but the stored token died', async () => {
    const user = await insertUserWithDeadToken(fixture.schema);
    const created = (await ensure(user.id, fixture.tokens.reader)).json() as Credentials;
    mintedTokens.push(created.accessToken ?? '');
    await psql(`UPDATE "${fixture.schema}".users SET "matrixAccessToken" = 'syt_dead_again' WHERE id = ${user.id}`);
    const response = await ensure(user.id, fixture.tokens.reader);
    expect(response.status).toBe(200);
    const minted = response.json() as Credentials;
    expect(minted.source).toBe('login-as');
    expect(minted.accessToken).not.toBe(created.accessToken);
    mintedTokens.push(minted.accessToken ?? '');
    expect((await storedCredentials(fixture.schema, user.id)).accessToken).toBe(minted.accessToken);
  });

  it('joins concurrent calls for one user into one provisioning: one Matrix user, one token, every call answered', async () => {
    const user = await insertUserWithDeadToken(fixture.schema);
    const responses = await Promise.all(Array.from({ length: 25 }, () => ensure(user.id, fixture.tokens.reader)));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 25 }, () => 200));
    const answers = responses.map((response) => response.json() as Credentials);
    expect(new Set(answers.map((answer) => answer.accessToken)).size).toBe(1);
    expect(answers.filter((answer) => answer.source === 'created').length).toBeGreaterThanOrEqual(1);
    expect(answers.every((answer) => answer.source === 'created' || answer.source === 'kept')).toBe(true);
    mintedTokens.push(answers[0]?.accessToken ?? '');
    expect((await storedCredentials(fixture.schema, user.id)).accessToken).toBe(answers[0]?.accessToken);
  });

  it('answers 409 matrix_user_deactivated, and does not reactivate the user', async () => {
    const user = await insertUserWithDeadToken(fixture.schema);
    const created = (await ensure(user.id, fixture.tokens.reader)).json() as Credentials;
    mintedTokens.push(created.accessToken ?? '');
    const deactivate = await fetch(`${process.env.SYNAPSE_URL}/_synapse/admin/v1/deactivate/${encodeURIComponent(user.userId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ erase: false }),
    });
    expect(deactivate.status).toBe(200);
    await psql(`UPDATE "${fixture.schema}".users SET "matrixAccessToken" = 'syt_dead_deactivated' WHERE id = ${user.id}`);
    const response = await ensure(user.id, fixture.tokens.reader);
    expect(response.status).toBe(409);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('matrix_user_deactivated');
    expect(body.error.nextSteps.join(' ')).toContain('reactivate');
  });

  it('answers 404 app_user_not_found for a key with no row', async () => {
    const response = await ensure('987654321', fixture.tokens.ensure);
    expect(response.status).toBe(404);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('app_user_not_found');
    expect(body.error.nextSteps.length).toBeGreaterThan(0);
  });

  it('takes the schema from the layout when the body is empty (the layout names one schema)', async () => {
    const user = await insertUserWithDeadToken(fixture.schema);
    const response = await call(fixture, `/v1/users/${user.id}/matrix-credentials`, { token: fixture.tokens.ensure, method: 'POST' });
    bodies.push(response.text);
    expect(response.status).toBe(200);
    expect((response.json() as Credentials).source).toBe('created');
  });

  it('answers 400 naming the field for a bad schema, an unknown field, a bad id and malformed JSON', async () => {
    const badSchema = await ensure('1', fixture.tokens.ensure, { schema: 'Robert"; DROP TABLE' });
    expect(badSchema.status).toBe(400);
    expect((badSchema.json() as ErrorShape).error).toMatchObject({ code: 'invalid_request' });
    expect((badSchema.json() as ErrorShape).error.message).toContain('body.schema');

    const unknownField = await ensure('1', fixture.tokens.ensure, { schema: fixture.schema, tenant: 'x' });
    expect(unknownField.status).toBe(400);
    expect((unknownField.json() as ErrorShape).error.message).toContain('tenant');

    const badId = await ensure('a%20b', fixture.tokens.ensure);
    expect(badId.status).toBe(400);
    expect((badId.json() as ErrorShape).error.message).toContain('params.appUserId');

    const malformed = await call(fixture, '/v1/users/1/matrix-credentials', { token: fixture.tokens.ensure, body: '{"schema": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect((malformed.json() as ErrorShape).error.code).toBe('invalid_request');
  });

  it('answers 413 in the common shape for a body over service.bodyLimitBytes', async () => {
    const response = await call(fixture, '/v1/users/1/matrix-credentials', {
      token: fixture.tokens.ensure,
      body: JSON.stringify({ schema: 'x'.repeat(4096) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect((response.json() as ErrorShape).error.code).toBe('body_too_large');
  });
});

describe('GET /v1/drift', () => {
  it('serves the doctor summary with its age from the cache, and recomputes on refresh=true', async () => {
    const first = await call(fixture, '/v1/drift', { token: fixture.tokens.ops });
    bodies.push(first.text);
    expect(first.status).toBe(200);
    const summary = first.json() as { environment: string; totals: Record<string, number>; schemas: { schema: string }[]; recommendation: { action: string; evidence: object }; adminToken: string; generatedAt: string; ageSeconds: number };
    expect(summary.environment).toBe('sandbox');
    expect(summary.adminToken).toBe('valid');
    expect(summary.schemas.map((schema) => schema.schema)).toEqual([fixture.schema]);
    expect(summary.totals.valid).toBeGreaterThan(0);
    expect(summary.recommendation.evidence).toBeDefined();

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const cached = (await call(fixture, '/v1/drift', { token: fixture.tokens.ops })).json() as typeof summary;
    expect(cached.generatedAt).toBe(summary.generatedAt);
    expect(cached.ageSeconds).toBeGreaterThanOrEqual(1);

    const refreshed = (await call(fixture, '/v1/drift?refresh=true', { token: fixture.tokens.ops })).json() as typeof summary;
    expect(Date.parse(refreshed.generatedAt)).toBeGreaterThan(Date.parse(summary.generatedAt));
    expect(refreshed.ageSeconds).toBe(0);
  });

  it('shares one doctor run between concurrent refreshes', async () => {
    const responses = await Promise.all([1, 2, 3, 4].map(() => call(fixture, '/v1/drift?refresh=true', { token: fixture.tokens.ops })));
    const generated = new Set(responses.map((response) => (response.json() as { generatedAt: string }).generatedAt));
    expect(generated.size).toBe(1);
  });

  it('says where its verdicts came from, and takes evidence=auto|api|database', async () => {
    type Evidence = { evidence: { source: string; reason: string } };
    // This environment names no Synapse database (no synapse.database, no homeserverConfig): auto is the API.
    const auto = (await call(fixture, '/v1/drift', { token: fixture.tokens.ops })).json() as Evidence;
    expect(auto.evidence).toEqual({ source: 'api', reason: expect.stringContaining("Synapse's database is not configured here") });
    const api = (await call(fixture, '/v1/drift?evidence=api', { token: fixture.tokens.ops })).json() as Evidence;
    expect(api.evidence).toEqual({ source: 'api', reason: 'asked for (evidence: api)' });
    const database = await call(fixture, '/v1/drift?evidence=database', { token: fixture.tokens.ops });
    expect(database.status).toBe(422);
    expect((database.json() as ErrorShape).error).toMatchObject({ code: 'environment_incapable', message: expect.stringContaining('synapse.database or synapse.homeserverConfig') });
    const wrong = await call(fixture, '/v1/drift?evidence=sql', { token: fixture.tokens.ops });
    expect(wrong.status).toBe(400);
    expect((wrong.json() as ErrorShape).error.message).toContain('query.evidence');
  });

  it('answers 400 for refresh=yes', async () => {
    const response = await call(fixture, '/v1/drift?refresh=yes', { token: fixture.tokens.ops });
    expect(response.status).toBe(400);
    expect((response.json() as ErrorShape).error.message).toContain('query.refresh');
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text with drift, ensure, runs and HTTP series', async () => {
    const response = await call(fixture, '/metrics', { token: fixture.tokens.ops });
    bodies.push(response.text);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const samples = response.text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/);
    expect(response.text).toContain(`matrix_reset_drift_credentials{class="valid",schema="${fixture.schema}"}`);
    expect(response.text).toMatch(/^matrix_reset_drift_age_seconds \d+/m);
    expect(response.text).toMatch(/^matrix_reset_ensure_credentials_duration_seconds_bucket\{le="[^"]+",source="created",outcome="ok"\} \d+/m);
    expect(response.text).toMatch(/^matrix_reset_ensure_credentials_total\{source="none",outcome="app_user_not_found"\} 1/m);
    expect(response.text).toMatch(/^matrix_reset_runs\{state="finished"\} \d+/m);
    expect(response.text).toMatch(/^matrix_reset_http_requests_total\{method="POST",route="\/v1\/users\/:appUserId\/matrix-credentials",status="200"\} \d+/m);
  });
});

describe('browser sessions', () => {
  it('logs in with a read token, allows GET with the cookie, refuses writes with it, and logs out', async () => {
    const login = await call(fixture, '/session', { json: { token: fixture.tokens.runner } });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^mr_session=[^;]+/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toContain(fixture.tokens.runner);
    const cookie = setCookie.split(';')[0] ?? '';

    const drift = await call(fixture, '/v1/drift', { headers: { cookie } });
    expect(drift.status).toBe(200);

    // The runner token has runs:write, but a cookie never authorizes anything but GET with read.
    const write = await call(fixture, '/v1/users/1/matrix-credentials', { headers: { cookie }, json: {} });
    expect(write.status).toBe(403);
    expect((write.json() as ErrorShape).error.code).toBe('session_read_only');

    const tampered = await call(fixture, '/v1/drift', { headers: { cookie: `${cookie.slice(0, -2)}xx` } });
    expect(tampered.status).toBe(401);
    expect((tampered.json() as ErrorShape).error.code).toBe('session_invalid');

    const logout = await call(fixture, '/session/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^mr_session=;.*Max-Age=0/);
  });

  it('refuses a session for a token without read, and a form login redirects to /', async () => {
    const refused = await call(fixture, '/session', { json: { token: fixture.tokens.ensure } });
    expect(refused.status).toBe(403);
    const form = await call(fixture, '/session', { body: new URLSearchParams({ token: fixture.tokens.ops }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/');
    expect(form.headers.get('set-cookie')).toMatch(/^mr_session=/);
    const missing = await call(fixture, '/session', { json: {} });
    expect(missing.status).toBe(400);
    expect((missing.json() as ErrorShape).error.message).toContain('body.token');
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    const login = await call(fixture, '/session', { json: { token: fixture.tokens.ops }, headers: { 'x-forwarded-proto': 'https' } });
    expect(login.headers.get('set-cookie')).toMatch(/Secure/);
  });
});

describe('logs and responses keep secrets out', () => {
  it('writes one JSON access line per request with the token name, never a token or secret', async () => {
    const entries = fixture.log.entries();
    const access = entries.filter((entry) => entry.msg === 'request');
    expect(access.length).toBeGreaterThan(20);
    const ensureLine = access.find((entry) => entry.route === '/v1/users/:appUserId/matrix-credentials' && entry.status === 200);
    expect(ensureLine).toMatchObject({ method: 'POST', tokenName: 'test-reader', via: 'bearer' });
    expect(typeof ensureLine?.ms).toBe('number');
    const secrets = [...fixture.secrets, ...mintedTokens.filter((token) => token.length >= 8)];
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const logText = fixture.log.all();
    for (const secret of secrets) expect(logText.includes(secret), 'a secret appears in the log').toBe(false);
    for (const body of bodies) for (const secret of secrets) expect(body.includes(secret), 'a secret appears in a response').toBe(false);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a token spends its burst', async () => {
    const limited = await startServiceFixture({ serviceYaml: ['  rateLimit: { perMinute: 6, burst: 3 }'] });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const response = await call(limited, '/metrics', { token: limited.tokens.ops });
        statuses.push(response.status);
        if (response.status === 429) {
          retryAfter = response.headers.get('retry-after');
          expect((response.json() as ErrorShape).error.code).toBe('rate_limited');
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Another token has its own bucket.
      expect((await call(limited, '/metrics', { token: limited.tokens.runner })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('a layout over several schemas', () => {
  it('answers 400 schema_required when the body names no schema, and serves the one it names', async () => {
    const other = await startServiceFixture({ extraSchemas: ['tenant_other'] });
    try {
      const user = await insertUserWithDeadToken(other.schema);
      const missing = await call(other, `/v1/users/${user.id}/matrix-credentials`, { token: other.tokens.ensure, json: {} });
      expect(missing.status).toBe(400);
      expect((missing.json() as ErrorShape).error.code).toBe('schema_required');
      const named = await call(other, `/v1/users/${user.id}/matrix-credentials`, { token: other.tokens.ensure, json: { schema: other.schema } });
      expect(named.status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('a homeserver that delegates auth to the Matrix Authentication Service', () => {
  it('answers 501 delegated_auth with what to do instead, and creates nothing', async () => {
    const delegated = await startServiceFixture({ synapseUrl: process.env.SYNAPSE_DELEGATED_URL });
    try {
      const user = await insertUserWithDeadToken(delegated.schema);
      await psql(`UPDATE "${delegated.schema}".users SET "matrixAccessToken" = NULL WHERE id = ${user.id}`);
      const response = await call(delegated, `/v1/users/${user.id}/matrix-credentials`, { token: delegated.tokens.ensure, json: {} });
      expect(response.status).toBe(501);
      const body = response.json() as ErrorShape;
      expect(body.error.code).toBe('delegated_auth');
      expect(body.error.nextSteps.join(' ')).toContain('mas-cli');
      expect((await storedCredentials(delegated.schema, user.id)).accessToken).toBe('');
    } finally {
      await delegated.close();
    }
  });
});

describe('readiness with Synapse down', () => {
  it('answers 503 naming synapse (and not postgres) when the configured Synapse does not answer, and never its address', async () => {
    const port = await closedPort();
    const down = await startServiceFixture({ synapseUrl: `http://127.0.0.1:${port}` });
    try {
      const response = await call(down, '/readyz');
      expect(response.status).toBe(503);
      const body = response.json() as { status: string; checks: { name: string; ok: boolean; problem?: string }[] };
      expect(body.status).toBe('unavailable');
      expect(body.checks.find((check) => check.name === 'postgres')?.ok).toBe(true);
      const synapse = body.checks.find((check) => check.name === 'synapse');
      expect(synapse?.ok).toBe(false);
      expect(synapse?.problem).toMatch(/connection_refused|no answer/);
      for (const secret of down.secrets) expect(response.text).not.toContain(secret);

      // A plan and an ensure call need Synapse: 503 with Retry-After, and no internal address in the answer.
      const address = `127.0.0.1:${port}`;
      const plan = await call(down, '/v1/plans', { token: down.tokens.runner, json: { mode: 'repair' } });
      expect(plan.status, plan.text).toBe(503);
      expect(plan.headers.get('retry-after')).not.toBeNull();
      expect(plan.text).not.toContain(address);
      const ensure = await call(down, '/v1/users/1/matrix-credentials', { token: down.tokens.ensure, json: {} });
      expect(ensure.text).not.toContain(address);
    } finally {
      await down.close();
    }
  });
});

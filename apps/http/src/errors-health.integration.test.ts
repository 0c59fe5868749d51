import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from './start-service.ts';
import {
  CapturedLog,
  call,
  closedPort,
  insertUserWithDeadToken,
  prepareServiceSandbox,
  startServiceFixture,
  type ServiceFixture,
} from './test-support/service-fixture.ts';

type ErrorShape = { error: { code: string; message: string; nextSteps: string[] } };
type Readiness = { status: string; checks: { name: string; ok: boolean; ms: number; problem?: string }[] };

let fixture: ServiceFixture;

beforeAll(async () => {
  fixture = await startServiceFixture();
});

afterAll(async () => {
  await fixture?.close();
});

/** Log lines at warn (40) or above, and whether any carries a stack. */
function loudLines(log: CapturedLog, from: number): Record<string, unknown>[] {
  return log.entries().slice(from).filter((entry) => (entry.level as number) >= 40);
}

/** A reverse proxy in front of the sandbox's Synapse that counts the whoami calls passing through it. */
async function countingSynapseProxy(): Promise<{ url: string; whoami: () => number; close: () => Promise<void> }> {
  const target = new URL(process.env.SYNAPSE_URL ?? '');
  let whoami = 0;
  const server: Server = createServer((incoming, outgoing) => {
    if (incoming.url?.includes('/account/whoami')) whoami += 1;
    const upstream = request({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    whoami: () => whoami,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A service on a fresh sandbox whose app database URL points at a closed port (with a role and password in it). */
async function serviceWithDatabaseDown() {
  const sandbox = await prepareServiceSandbox();
  const log = new CapturedLog();
  const databaseUrl = `postgres://approle:s3cretDbPassw0rd@127.0.0.1:${await closedPort()}/appdb`;
  const service = await startService({ configPath: sandbox.configPath, port: 0, host: '127.0.0.1', env: {}, connect: { env: { DATABASE_URL: databaseUrl } }, logDestination: log });
  return { sandbox, service, url: service.url, log, databaseUrl };
}

describe('GET /readyz/local', () => {
  it('answers 200 without auth, checking Postgres only, in the shape of /readyz', async () => {
    const response = await call(fixture, '/readyz/local');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = response.json() as Readiness;
    expect(body.status).toBe('ready');
    expect(body.checks.map((check) => [check.name, check.ok])).toEqual([['postgres', true]]);
  });

  it('stays 200 while Synapse does not answer (a full reset scales it to 0), when /readyz answers 503', async () => {
    const down = await startServiceFixture({ synapseUrl: `http://127.0.0.1:${await closedPort()}` });
    try {
      const local = await call(down, '/readyz/local');
      expect(local.status).toBe(200);
      expect((local.json() as Readiness).checks.map((check) => check.name)).toEqual(['postgres']);
      const full = await call(down, '/readyz');
      expect(full.status).toBe(503);
      expect((full.json() as Readiness).checks.find((check) => check.name === 'synapse')?.ok).toBe(false);
    } finally {
      await down.close();
    }
  });

  it('answers 503 naming postgres when the app database does not answer, without the URL, role or password', async () => {
    const down = await serviceWithDatabaseDown();
    try {
      const response = await call(down, '/readyz/local');
      expect(response.status).toBe(503);
      const body = response.json() as Readiness;
      expect(body.status).toBe('unavailable');
      expect(body.checks).toEqual([{ name: 'postgres', ok: false, ms: expect.any(Number), problem: 'ECONNREFUSED' }]);
      for (const fragment of ['approle', 's3cretDbPassw0rd', 'appdb', down.databaseUrl]) expect(response.text).not.toContain(fragment);
    } finally {
      await down.service.close();
    }
  });
});

describe('readiness answers are cached', () => {
  it('many /readyz calls within a second cost one or two Synapse whoami calls; /readyz/local none; a new check after the cache expires', async () => {
    const proxy = await countingSynapseProxy();
    const proxied = await startServiceFixture({ synapseUrl: proxy.url });
    try {
      const before = proxy.whoami();
      const concurrent = await Promise.all(Array.from({ length: 40 }, () => call(proxied, '/readyz')));
      for (let i = 0; i < 10; i += 1) concurrent.push(await call(proxied, '/readyz'));
      expect(concurrent.every((response) => response.status === 200)).toBe(true);
      // One check, or two when the sequential calls straddle the end of the 1 s cache.
      expect(proxy.whoami() - before).toBeGreaterThanOrEqual(1);
      expect(proxy.whoami() - before).toBeLessThanOrEqual(2);

      const beforeLocal = proxy.whoami();
      for (let i = 0; i < 10; i += 1) expect((await call(proxied, '/readyz/local')).status).toBe(200);
      expect(proxy.whoami()).toBe(beforeLocal);

      await new Promise((resolve) => setTimeout(resolve, 1100));
      const afterExpiry = proxy.whoami();
      expect((await call(proxied, '/readyz')).status).toBe(200);
      expect(proxy.whoami()).toBe(afterExpiry + 1);
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });
});

describe('client mistakes on POST /v1/users/{appUserId}/matrix-credentials', () => {
  it.each([
    ['abc', '22P02'],
    ['99999999999', '22003'],
  ])('a key the integer id column cannot hold (%s) is 404 app_user_not_found, logged at info without a stack', async (key, sqlstate) => {
    const from = fixture.log.entries().length;
    const response = await call(fixture, `/v1/users/${key}/matrix-credentials`, { token: fixture.tokens.ensure, json: { schema: fixture.schema } });
    expect(response.status).toBe(404);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('app_user_not_found');
    expect(body.error.message).toContain(key);
    expect(body.error.nextSteps.length).toBeGreaterThan(0);
    expect(loudLines(fixture.log, from)).toEqual([]);
    const logged = fixture.log.entries().slice(from);
    expect(logged.find((entry) => entry.sqlstate === sqlstate)).toMatchObject({ level: 30, key });
    expect(JSON.stringify(logged)).not.toContain('"stack"');
  });

  it('a schema outside the layout is 404 schema_not_in_layout whose next step names the layout schemas rule', async () => {
    const response = await call(fixture, '/v1/users/1/matrix-credentials', { token: fixture.tokens.ensure, json: { schema: 'public' } });
    expect(response.status).toBe(404);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('schema_not_in_layout');
    expect(body.error.message).toContain('public');
    expect(body.error.message).toMatch(/^body\.schema: public /);
    expect(body.error.nextSteps.join(' ')).toContain(`appDatabase.layout.schemas selects names ${fixture.schema}`);
    expect(body.error.nextSteps.join(' ')).not.toContain('discover()');
  });

  it('a non-JSON body is 415 unsupported_media_type saying to send content-type: application/json', async () => {
    const response = await call(fixture, '/v1/users/1/matrix-credentials', { token: fixture.tokens.ensure, body: 'schema=x', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('unsupported_media_type');
    expect(body.error.nextSteps.join(' ')).toContain('content-type: application/json');
  });
});

describe("a client's choice the environment cannot do", () => {
  it('a full-reset plan for an environment without Kubernetes is 422 environment_incapable with the reason, logged at info (no warning)', async () => {
    const from = fixture.log.entries().length;
    const response = await call(fixture, '/v1/plans', { token: fixture.tokens.runner, json: { mode: 'full-reset' } });
    expect(response.status).toBe(422);
    const body = response.json() as ErrorShape;
    expect(body.error.code).toBe('environment_incapable');
    expect(body.error.message).toContain('needs its Kubernetes target');
    expect(body.error.nextSteps.join(' ')).toContain('--mode repair');
    expect(loudLines(fixture.log, from)).toEqual([]);
    const refused = fixture.log.entries().slice(from).filter((entry) => entry.msg === 'request refused');
    expect(refused).toEqual([expect.objectContaining({ level: 30, code: 'environment_incapable', status: 422 })]);
  });
});

describe('dependencies down or refusing', () => {
  it('an unreachable app database is 503 database_unavailable with Retry-After, naming no host, role or password; logged as a warning without a stack', async () => {
    const down = await serviceWithDatabaseDown();
    try {
      const response = await call(down, '/v1/users/1/matrix-credentials', { token: down.sandbox.tokens.ensure, json: {} });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      const body = response.json() as ErrorShape;
      expect(body.error.code).toBe('database_unavailable');
      expect(body.error.message).toContain('ECONNREFUSED');
      const port = new URL(down.databaseUrl).port;
      for (const fragment of ['approle', 's3cretDbPassw0rd', 'appdb', '127.0.0.1', port]) expect(response.text).not.toContain(fragment);
      const warned = down.log.entries().filter((entry) => entry.msg === 'dependency failed');
      expect(warned).toEqual([expect.objectContaining({ level: 40, code: 'database_unavailable', cause: 'ECONNREFUSED', error: expect.stringContaining('ECONNREFUSED') })]);
      // One msg per line: a JSON parser keeps only the last of two, and the error's text would be lost.
      for (const line of down.log.all().split('\n').filter((l) => l.startsWith('{'))) expect(line.split('"msg":').length, line).toBeLessThanOrEqual(2);
      expect(down.log.entries().filter((entry) => (entry.level as number) >= 50)).toEqual([]);
      expect(down.log.all()).not.toContain('s3cretDbPassw0rd');
    } finally {
      await down.service.close();
    }
  });

  it('with the app database down, every plan, run and status-page endpoint is 503 database_unavailable with Retry-After, naming no host, port, role or password', async () => {
    const down = await serviceWithDatabaseDown();
    try {
      const { runner, ops } = down.sandbox.tokens;
      const runId = 'r20260101t120000_3fa9c2d1';
      const planId = 'p20260101t120000_3fa9c2d1';
      const requests: [string, Parameters<typeof call>[2]][] = [
        ['/v1/plans', { token: runner, json: { mode: 'repair' } }],
        [`/v1/plans/${planId}`, { token: ops }],
        ['/v1/runs', { token: runner, json: { planId } }],
        ['/v1/runs', { token: ops }],
        [`/v1/runs/${runId}`, { token: ops }],
        [`/v1/runs/${runId}/events`, { token: ops }],
        [`/v1/runs/${runId}/rollback`, { token: runner, json: {} }],
      ];
      const port = new URL(down.databaseUrl).port;
      for (const [path, options] of requests) {
        const response = await call(down, path, options);
        const what = `${options?.json === undefined ? 'GET' : 'POST'} ${path}: ${response.text}`;
        expect(response.status, what).toBe(503);
        expect(response.headers.get('retry-after'), what).toBe('2');
        const body = response.json() as ErrorShape;
        expect(body.error.code, what).toBe('database_unavailable');
        expect(body.error.nextSteps.join(' '), what).not.toMatch(/CREATE/);
        for (const fragment of ['approle', 's3cretDbPassw0rd', 'appdb', '127.0.0.1', `:${port}`]) expect(response.text, what).not.toContain(fragment);
      }
      // The status page, degraded: it says the database is down and reloads itself, instead of failing bare.
      const page = await call(down, '/', { token: ops });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('2');
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toContain('The app database is unavailable');
      expect(page.text).toMatch(/<meta http-equiv="refresh" content="\d+">/);
      for (const fragment of ['approle', 's3cretDbPassw0rd', 'appdb', '127.0.0.1', `:${port}`]) expect(page.text).not.toContain(fragment);
      expect(down.log.entries().filter((entry) => (entry.level as number) >= 50)).toEqual([]);
    } finally {
      await down.service.close();
    }
  });

  it("a refused admin token is 502 upstream_unknown_token saying it is the service's admin token and where it is read from, never the token", async () => {
    const refused = await startServiceFixture();
    try {
      const user = await insertUserWithDeadToken(refused.schema);
      const logout = await fetch(`${process.env.SYNAPSE_URL}/_matrix/client/v3/logout`, { method: 'POST', headers: { authorization: `Bearer ${refused.adminToken}` }, body: '{}' });
      expect(logout.status).toBe(200);
      const response = await call(refused, `/v1/users/${user.id}/matrix-credentials`, { token: refused.tokens.ensure, json: {} });
      expect(response.status).toBe(502);
      const body = response.json() as ErrorShape;
      expect(body.error.code).toBe('upstream_unknown_token');
      expect(body.error.message).toContain("the service's admin token");
      expect(body.error.message).toContain('Your bearer token was accepted');
      const steps = body.error.nextSteps.join(' ');
      expect(steps).toContain('#MATRIX_ADMIN_ACCESS_TOKEN');
      expect(steps).toContain(`environments.${refused.environment}.adminToken in ${refused.configPath}`);
      expect(steps).not.toMatch(/Mint a new one/);
      for (const secret of [...refused.secrets, user.deadToken]) expect(response.text).not.toContain(secret);
    } finally {
      await refused.close();
    }
  });
});

describe('routes and methods', () => {
  it.each([
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/readyz/local', 'GET, HEAD'],
    ['GET', '/v1/users/1/matrix-credentials', 'POST'],
    ['HEAD', '/v1/users/1/matrix-credentials', 'POST'],
  ])('%s %s is 405 with Allow: %s in the JSON error shape', async (method, path, allow) => {
    const response = await call(fixture, path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    if (method !== 'HEAD') {
      const body = response.json() as ErrorShape;
      expect(body.error.code).toBe('method_not_allowed');
      expect(body.error.message).toContain(allow);
      expect(body.error.nextSteps.length).toBeGreaterThan(0);
    }
  });

  it('a path nothing serves stays 404 not_found JSON, whatever the method', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await call(fixture, '/v1/nothing-here', { method });
      expect(response.status).toBe(404);
      expect(response.headers.get('allow')).toBeNull();
      expect((response.json() as ErrorShape).error.code).toBe('not_found');
    }
  });
});

import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './start-service.ts';
import { holdRowLock } from './test-support/run-fixture.ts';
import { call, CapturedLog, insertUserWithDeadToken, prepareServiceSandbox, psql, unique, type ServiceSandbox } from './test-support/service-fixture.ts';

type ErrorShape = { error: { code: string; message: string; nextSteps: string[] } };

async function start(sandbox: ServiceSandbox, log: CapturedLog, shutdownGraceMs?: number): Promise<RunningService> {
  return startService({ configPath: sandbox.configPath, port: 0, host: '127.0.0.1', env: {}, logDestination: log, ...(shutdownGraceMs === undefined ? {} : { shutdownGraceMs }) });
}

let sandbox: ServiceSandbox;
beforeAll(async () => {
  sandbox = await prepareServiceSandbox({ environment: `hard${unique()}`, serviceYaml: ['  allowedHosts: [reset.example.org, "*.ops.example.net"]'] });
});

/** The service of a describe block (see {@link serviceForBlock}) and its log. */
interface BlockService {
  /** Started before the block's tests; reading it earlier throws. */
  readonly service: RunningService;
  readonly log: CapturedLog;
}

/** A service on the file's sandbox for the describe block calling it: started before its tests, closed after them. */
function serviceForBlock(): BlockService {
  const log = new CapturedLog();
  let running: RunningService | undefined;
  beforeAll(async () => {
    running = await start(sandbox, log);
  });
  afterAll(async () => {
    await running?.close();
  });
  return {
    get service() {
      if (running === undefined) throw new Error('the service of this block is not started yet');
      return running;
    },
    log,
  };
}

describe('GET /metrics and the drift summary', () => {
  const served = serviceForBlock();

  it('answers at once from an empty cache (no drift series, no age) and refreshes the summary in the background', async () => {
    await insertUserWithDeadToken(sandbox.schema);
    expect(served.service.context.drift.peek()).toBeUndefined();
    const first = await call(served.service, '/metrics', { token: sandbox.tokens.ops });
    expect(first.status).toBe(200);
    // The answer came before any doctor run finished: nothing was computed for it.
    expect(first.text).not.toContain('matrix_reset_drift_credentials{');
    expect(first.text).not.toMatch(/^matrix_reset_drift_age_seconds /m);
    expect(first.text).toMatch(/^matrix_reset_runs\{state="finished"\} \d+/m);
    // The scrape started a doctor run: the cache fills without anyone asking GET /v1/drift.
    await expect.poll(() => served.service.context.drift.peek(), { timeout: 30_000 }).toBeDefined();
    const second = await call(served.service, '/metrics', { token: sandbox.tokens.ops });
    expect(second.text).toMatch(/^matrix_reset_drift_age_seconds \d+$/m);
    expect(second.text).toContain(`schema="${sandbox.schema}"`);
  });
});

describe('POST /session from another site', () => {
  const served = serviceForBlock();

  it('refuses a login or logout with a foreign Origin or Sec-Fetch-Site: cross-site (403 JSON, no cookie)', async () => {
    const form = new URLSearchParams({ token: sandbox.tokens.ops }).toString();
    const attempts = [
      call(served.service, '/session', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } }),
      call(served.service, '/session', { json: { token: sandbox.tokens.ops }, headers: { origin: 'https://evil.example' } }),
      call(served.service, '/session', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' } }),
      call(served.service, '/session', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' } }),
      call(served.service, '/session', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'cross-site' } }),
      call(served.service, '/session', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' } }),
      call(served.service, '/session/logout', { method: 'POST', headers: { origin: 'https://evil.example' } }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status, response.text).toBe(403);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect((response.json() as ErrorShape).error.code).toBe('cross_site_request');
    }
    for (const line of served.log.entries()) expect(JSON.stringify(line)).not.toContain(sandbox.tokens.ops);
  });

  it('accepts the same origin (as a browser sends it), behind an https proxy, and clients that send no Origin', async () => {
    const sameOrigin = await call(served.service, '/session', {
      body: new URLSearchParams({ token: sandbox.tokens.ops }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: served.service.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(sameOrigin.status, sameOrigin.text).toBe(303);
    expect(sameOrigin.headers.get('set-cookie')).toMatch(/^mr_session=/);
    // The status page sends Referrer-Policy: no-referrer, so Chromium posts its form with Origin: null (and Sec-Fetch-Site).
    const opaque = await call(served.service, '/session', {
      body: new URLSearchParams({ token: sandbox.tokens.ops }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'same-origin' },
    });
    expect(opaque.status, opaque.text).toBe(303);
    const host = new URL(served.service.url).host;
    const proxied = await call(served.service, '/session', { json: { token: sandbox.tokens.ops }, headers: { origin: 'https://reset.example.org', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'reset.example.org' } });
    expect(proxied.status, proxied.text).toBe(200);
    const noOrigin = await call(served.service, '/session', { json: { token: sandbox.tokens.ops } });
    expect(noOrigin.status).toBe(200);
    const logout = await call(served.service, '/session/logout', { method: 'POST', headers: { origin: `http://${host}` } });
    expect(logout.status).toBe(204);
  });
});

/** A request with the Host header given (fetch sets its own), its status and JSON body. */
async function withHost(url: string, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: ErrorShape | undefined }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: target.hostname, port: target.port, path, method: 'GET', headers: { host, authorization: `Bearer ${sandbox.tokens.ops}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: res.headers['content-type']?.startsWith('application/json') ? (JSON.parse(text) as ErrorShape) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Host header (DNS rebinding)', () => {
  const served = serviceForBlock();

  it('a host name the service does not answer to is 421 host_not_allowed, on every route, as Host or X-Forwarded-Host', async () => {
    for (const path of ['/v1/drift', '/', '/healthz']) {
      const refused = await withHost(served.service.url, path, 'rebind.attacker.example:8080');
      expect(refused.status, path).toBe(421);
      expect(refused.body?.error.code).toBe('host_not_allowed');
      expect(refused.body?.error.message).toContain('rebind.attacker.example');
      expect(refused.body?.error.nextSteps.join(' ')).toContain('service.allowedHosts');
    }
    const forwarded = await withHost(served.service.url, '/v1/drift', '127.0.0.1', { 'x-forwarded-host': 'rebind.attacker.example' });
    expect(forwarded.status).toBe(421);
    // A suffix of an allowed name is not that name.
    expect((await withHost(served.service.url, '/healthz', 'evilreset.example.org')).status).toBe(421);
    expect((await withHost(served.service.url, '/healthz', 'ops.example.net')).status).toBe(421);
  });

  it('answers IP addresses, localhost, cluster-internal names and service.allowedHosts', async () => {
    const port = new URL(served.service.url).port;
    for (const host of [`127.0.0.1:${port}`, '10.1.2.3:8080', '[::1]:8080', `localhost:${port}`, 'matrix-reset', 'matrix-reset.openmeet-dev.svc', 'matrix-reset.openmeet-dev.svc.cluster.local:8080', 'reset.example.org', 'RESET.example.org:443', 'a.ops.example.net']) {
      expect((await withHost(served.service.url, '/healthz', host)).status, host).toBe(200);
    }
  });
});

describe('a compressed request body', () => {
  const served = serviceForBlock();

  it.each(['gzip', 'br', 'deflate, gzip'])('Content-Encoding %s is 415 unsupported_content_encoding with Accept-Encoding: identity, before the body is read', async (coding) => {
    const body = gzipSync(JSON.stringify({ token: sandbox.tokens.ops }));
    for (const path of ['/session', '/v1/users/1/matrix-credentials']) {
      const response = await fetch(`${served.service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding, authorization: `Bearer ${sandbox.tokens.ensure}` },
        body,
      });
      const text = await response.text();
      expect(response.status, `${path}: ${text}`).toBe(415);
      expect(response.headers.get('accept-encoding')).toBe('identity');
      expect((JSON.parse(text) as ErrorShape).error.code).toBe('unsupported_content_encoding');
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    // identity is no coding at all: it is read as usual.
    const plain = await call(served.service, '/session', { json: { token: sandbox.tokens.ops }, headers: { 'content-encoding': 'identity' } });
    expect(plain.status).toBe(200);
  });
});

describe('close() while requests are in progress', () => {
  it('lets an ensure held on a row lock finish with 200, ends an open event stream with a last comment, and logs no stream failure', async () => {
    const log = new CapturedLog();
    const service = await start(sandbox, log, 20_000);
    const user = await insertUserWithDeadToken(sandbox.schema);
    // Opens (and migrates) the journal, then a run no instance executes: its stream stays open until the server ends it.
    expect((await call(service, '/v1/runs', { token: sandbox.tokens.ops })).status).toBe(200);
    const runId = `r20260101t000000_${unique()}`;
    await psql(`INSERT INTO matrix_reset.run (id, plan_id, plan_checksum, plan, environment, mode, state, holder)
      VALUES ('${runId}', 'p20260101t000000_dead', 'sha256:0', '{}', '${sandbox.environment}', 'repair', 'running', 'crashed instance')`);
    const response = await fetch(`${service.url}/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${sandbox.tokens.ops}` } });
    expect(response.status).toBe(200);
    let streamText = '';
    const streamEnded = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) streamText += decoder.decode(chunk, { stream: true });
    })();
    await expect.poll(() => streamText, { timeout: 10_000 }).toContain('event: run');

    const rowLock = await holdRowLock(sandbox.schema, user.id);
    let closed: Promise<void> | undefined;
    try {
      const ensure = call(service, `/v1/users/${user.id}/matrix-credentials`, { token: sandbox.tokens.reader, json: {} });
      // The ensure has created the Matrix user and now waits for the row the test holds.
      await expect
        .poll(async () => (await psql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%${sandbox.schema}%'`))[0], { timeout: 20_000 })
        .toBe('1');
      closed = service.close();
      // The stream ends now, with a last comment telling the client to reconnect.
      await streamEnded;
      expect(streamText).toContain(': instance stopping');
      // Longer than the second after which close() used to cut every connection.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await rowLock.release();
      const answered = await ensure;
      expect(answered.status, answered.text).toBe(200);
      expect((answered.json() as { source: string }).source).toBe('created');
    } finally {
      await rowLock.release().catch(() => undefined);
      await (closed ?? service.close());
    }
    const messages = log.entries().map((entry) => String(entry.msg));
    expect(messages.at(-1)).toBe('stopped');
    expect(messages).not.toContain('event stream failed');
    expect(messages.some((m) => m.startsWith('cutting off'))).toBe(false);
    for (const secret of sandbox.secrets) expect(log.all()).not.toContain(secret);
  });
});

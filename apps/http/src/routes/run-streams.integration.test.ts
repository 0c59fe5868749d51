import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../start-service.ts';
import { call, CapturedLog, prepareServiceSandbox, psql, unique, type ServiceSandbox } from '../test-support/service-fixture.ts';

type ErrorShape = { error: { code: string; message: string; nextSteps: string[] } };

/** A run the journal says is running but no instance executes (its instance crashed): its streams never end. */
async function plantStuckRun(environment: string): Promise<string> {
  const id = `r20260101t000000_${unique()}`;
  await psql(`INSERT INTO matrix_reset.run (id, plan_id, plan_checksum, plan, environment, mode, state, holder)
    VALUES ('${id}', 'p20260101t000000_dead', 'sha256:0', '{}', '${environment}', 'repair', 'running', 'matrix-reset http on crashed-host pid 1 for test')`);
  return id;
}

/** An event stream left open: what it received so far, whether the server ended it, and a way to hang up. */
async function openStream(url: string, token: string) {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  let text = '';
  let ended = false;
  const reading = (async () => {
    try {
      if (response.status !== 200 || response.body === null) {
        text = await response.text();
        return;
      }
      const decoder = new TextDecoder();
      for await (const chunk of response.body) text += decoder.decode(chunk, { stream: true });
    } catch {
      // Hung up by the test.
    } finally {
      ended = true;
    }
  })();
  return {
    response,
    text: () => text,
    ended: () => ended,
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}

describe('event streams of a run no instance executes', () => {
  let sandbox: ServiceSandbox;
  let service: RunningService;
  const log = new CapturedLog();
  beforeAll(async () => {
    sandbox = await prepareServiceSandbox({ environment: `streams${unique()}` });
    service = await startService({
      configPath: sandbox.configPath,
      port: 0,
      host: '127.0.0.1',
      env: {},
      logDestination: log,
      runStreams: { remotePollMs: 1000, streamLimits: { perToken: 3, perInstance: 5 } },
    });
    // Opens (and migrates) the journal.
    expect((await call(service, '/v1/runs', { token: sandbox.tokens.ops })).status).toBe(200);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('share one journal read per interval however many streams follow the run, and each stream gets its events', async () => {
    const control = service.context.runs;
    const runId = await plantStuckRun(sandbox.environment);
    const url = `${service.url}/v1/runs/${runId}/events`;
    const streams = await Promise.all([sandbox.tokens.ops, sandbox.tokens.ops, sandbox.tokens.ops, sandbox.tokens.runner, sandbox.tokens.runner].map((token) => openStream(url, token)));
    try {
      expect(streams.map((s) => s.response.status)).toEqual([200, 200, 200, 200, 200]);
      for (const stream of streams) await expect.poll(() => stream.text(), { timeout: 10_000 }).toContain('event: run');
      expect(control.openStreams()).toBe(5);
      const before = control.journalReads();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const reads = control.journalReads() - before;
      // One read per second for the run (five unshared streams polling 4 times a second would make ~60).
      expect(reads).toBeGreaterThanOrEqual(2);
      expect(reads).toBeLessThanOrEqual(4);
      for (const stream of streams) expect(stream.ended()).toBe(false);
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
    await expect.poll(() => control.openStreams(), { timeout: 5_000 }).toBe(0);
  });

  it('refuses a stream over the per-token or per-instance limit with 429, Retry-After and the JSON error; a closed stream frees its place', async () => {
    const control = service.context.runs;
    const runId = await plantStuckRun(sandbox.environment);
    const url = `${service.url}/v1/runs/${runId}/events`;
    const ops = await Promise.all([1, 2, 3].map(() => openStream(url, sandbox.tokens.ops)));
    const runner: Awaited<ReturnType<typeof openStream>>[] = [];
    try {
      expect(ops.map((s) => s.response.status)).toEqual([200, 200, 200]);
      const overToken = await call(service, `/v1/runs/${runId}/events`, { token: sandbox.tokens.ops });
      expect(overToken.status).toBe(429);
      expect(Number(overToken.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const tokenError = (overToken.json() as ErrorShape).error;
      expect(tokenError.code).toBe('too_many_streams');
      expect(tokenError.message).toContain('token test-ops has 3 event streams open (the limit is 3)');
      expect(tokenError.nextSteps.length).toBeGreaterThan(0);

      // Another token has its own count, up to the instance's limit.
      runner.push(await openStream(url, sandbox.tokens.runner), await openStream(url, sandbox.tokens.runner));
      expect(runner.map((s) => s.response.status)).toEqual([200, 200]);
      const overInstance = await call(service, `/v1/runs/${runId}/events`, { token: sandbox.tokens.runner });
      expect(overInstance.status).toBe(429);
      expect((overInstance.json() as ErrorShape).error.message).toContain('this instance has 5 event streams open (the limit is 5)');

      await ops[0]!.close();
      await expect.poll(() => control.openStreams(), { timeout: 5_000 }).toBe(4);
      const again = await openStream(url, sandbox.tokens.ops);
      expect(again.response.status).toBe(200);
      ops.push(again);
    } finally {
      await Promise.all([...ops, ...runner].map((s) => s.close()));
    }
    await expect.poll(() => control.openStreams(), { timeout: 5_000 }).toBe(0);
  });
});

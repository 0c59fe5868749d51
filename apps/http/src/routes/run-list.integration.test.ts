import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, prepareServiceSandbox, psql, startSandboxService, unique, type ServiceSandbox } from '../test-support/service-fixture.ts';

type ErrorShape = { error: { code: string; message: string; nextSteps: string[] } };
type RunList = { runs: { id: string; environment: string; state: string }[]; nextCursor: string | null };

describe('GET /v1/runs pages with a cursor', () => {
  let sandbox: ServiceSandbox;
  let instance: Awaited<ReturnType<typeof startSandboxService>>;
  /** The planted runs, newest first. */
  const planted: string[] = [];

  beforeAll(async () => {
    sandbox = await prepareServiceSandbox({ environment: `runlist${unique()}` });
    instance = await startSandboxService(sandbox);
    // Opens (and migrates) the journal before the rows go in.
    expect((await call(instance, '/v1/runs', { token: sandbox.tokens.ops })).status).toBe(200);
    const suffix = unique();
    // Five finished runs; the middle two share their creation time (the id breaks the tie), and another
    // environment's run sits between them in time.
    const rows: [string, string][] = [
      [`r20260101t000001_${suffix}`, '2026-01-01T00:00:01.000001Z'],
      [`r20260101t000002_${suffix}a`, '2026-01-01T00:00:02Z'],
      [`r20260101t000002_${suffix}b`, '2026-01-01T00:00:02Z'],
      [`r20260101t000003_${suffix}`, '2026-01-01T00:00:03Z'],
      [`r20260101t000004_${suffix}`, '2026-01-01T00:00:04.5Z'],
    ];
    const values = rows.map(([id, at]) => `('${id}', 'p20260101t000000_dead', 'sha256:0', '{}', '${sandbox.environment}', 'repair', 'finished', 'test', '${at}')`);
    values.push(`('r20260101t000003_other${suffix}', 'p20260101t000000_dead', 'sha256:0', '{}', 'other${suffix}', 'repair', 'finished', 'test', '2026-01-01T00:00:03.5Z')`);
    await psql(`INSERT INTO matrix_reset.run (id, plan_id, plan_checksum, plan, environment, mode, state, holder, created_at) VALUES ${values.join(', ')}`);
    planted.push(...rows.map(([id]) => id).reverse());
  });
  afterAll(async () => {
    await instance?.close();
  });

  const list = async (query: string) => {
    const response = await call(instance, `/v1/runs${query}`, { token: sandbox.tokens.ops });
    expect(response.status, response.text).toBe(200);
    return response.json() as RunList;
  };

  it('reads the runs page by page, newest first, each once, until nextCursor is null', async () => {
    const first = await list('?limit=2');
    expect(first.runs.map((r) => r.id)).toEqual(planted.slice(0, 2));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list(`?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.runs.map((r) => r.id)).toEqual(planted.slice(2, 4));
    const third = await list(`?limit=2&cursor=${encodeURIComponent(second.nextCursor!)}`);
    expect(third.runs.map((r) => r.id)).toEqual(planted.slice(4));
    expect(third.nextCursor).toBeNull();
    expect(new Set([...first.runs, ...second.runs, ...third.runs].map((r) => r.environment))).toEqual(new Set([sandbox.environment]));
  });

  it('answers one page of everything with nextCursor null when the runs fit', async () => {
    const all = await list('?limit=10');
    expect(all.runs.map((r) => r.id)).toEqual(planted);
    expect(all.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not hand out with 400 naming query.cursor', async () => {
    for (const cursor of ['bm9wZQ', Buffer.from(JSON.stringify(['not a time', 'r1'])).toString('base64url'), 'not/a+cursor']) {
      const response = await call(instance, `/v1/runs?cursor=${encodeURIComponent(cursor)}`, { token: sandbox.tokens.ops });
      expect(response.status, response.text).toBe(400);
      const { error } = response.json() as ErrorShape;
      expect(error.code).toBe('invalid_request');
      expect(error.message).toMatch(/^query\.cursor: /);
      expect(error.nextSteps.length).toBeGreaterThan(0);
    }
  });
});

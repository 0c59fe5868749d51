import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, psql } from '../test-support/service-fixture.ts';
import { holdRowLock, plantRunSandbox, readEvents, type Instance, type ParsedEvent, type RunSandbox } from '../test-support/run-fixture.ts';

/** Every response body and event stream a test saw, to scan for secrets at the end. */
const seen: string[] = [];

async function http(instance: Pick<Instance, 'url'>, path: string, options: Parameters<typeof call>[2] = {}) {
  const response = await call(instance, path, options);
  seen.push(response.text);
  return response;
}

async function events(instance: Pick<Instance, 'url'>, runId: string, options: Parameters<typeof readEvents>[1] = {}) {
  const result = await readEvents(`${instance.url}/v1/runs/${runId}/events`, options);
  seen.push(result.raw);
  return result;
}

interface PlanBody {
  planId: string;
  mode: string;
  checksum: string;
  steps: { id: string; kind: string; undoable: boolean }[];
  observed: { appDatabase: { schemas: { schema: string; rows: number; withCredentials: number }[] } };
}

async function makePlan(sandbox: RunSandbox, instance: Instance = sandbox.first): Promise<PlanBody> {
  const response = await http(instance, '/v1/plans', { token: sandbox.tokens.runner, json: { mode: 'repair' } });
  expect(response.status, response.text).toBe(201);
  return response.json() as PlanBody;
}

/** Scans what the sandbox's instances logged and every response seen for every secret in play (minted tokens too). */
async function expectNoSecretsLeaked(sandbox: RunSandbox, instances: Instance[] = [sandbox.first]): Promise<void> {
  const secrets = [...sandbox.secrets, ...(await sandbox.storedTokens())];
  const texts = [...seen, ...instances.map((i) => i.log.all())];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret), 'a secret appeared in a response or log').toBe(false);
}

const stepSummary = (list: ParsedEvent[]) => list.filter((e) => e.event === 'step').map((e) => `${String(e.data.phase)} ${String(e.data.stepId)} ${String(e.data.state)}`);

describe('a repair run driven entirely over HTTP', () => {
  let sandbox: RunSandbox;
  beforeAll(async () => {
    sandbox = await plantRunSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  let runId = '';
  let streamed: ParsedEvent[] = [];

  it('POST /v1/plans stores a frozen repair plan and answers its steps, checksum and what it observed', async () => {
    const plan = await makePlan(sandbox);
    expect(plan.mode).toBe('repair');
    expect(plan.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.steps.map((s) => s.kind)).toEqual(['snapshot-credentials', 'reprovision-existing-users', 'clear-missing-users', 'verify']);
    expect(plan.observed.appDatabase.schemas).toEqual([{ schema: sandbox.schema, rows: 3, withCredentials: 3 }]);
    const again = await http(sandbox.first, `/v1/plans/${plan.planId}`, { token: sandbox.tokens.ops });
    expect(again.status).toBe(200);
    expect((again.json() as PlanBody).checksum).toBe(plan.checksum);
  });

  it('POST /v1/plans with clearDeactivated plans the clear of rows naming deactivated users', async () => {
    const response = await http(sandbox.first, '/v1/plans', { token: sandbox.tokens.runner, json: { mode: 'repair', clearDeactivated: true } });
    expect(response.status, response.text).toBe(201);
    expect((response.json() as PlanBody).steps.map((s) => s.kind)).toEqual(['snapshot-credentials', 'reprovision-existing-users', 'clear-missing-users', 'clear-deactivated-users', 'verify']);
  });

  it('POST /v1/runs answers 202 with links, the event stream shows every step to the end, and GET the run says finished', async () => {
    const plan = await makePlan(sandbox);
    const started = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: plan.planId } });
    expect(started.status, started.text).toBe(202);
    const body = started.json() as { runId: string; links: { self: string; events: string } };
    runId = body.runId;
    expect(body.links.events).toBe(`/v1/runs/${runId}/events`);
    expect(started.headers.get('location')).toBe(`/v1/runs/${runId}`);
    // 202 means the journal has the run: it can be read at once.
    expect((await http(sandbox.first, `/v1/runs/${runId}`, { token: sandbox.tokens.ops })).status).toBe(200);

    const stream = await events(sandbox.first, runId, { token: sandbox.tokens.ops });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain('text/event-stream');
    streamed = stream.events;
    expect(stepSummary(streamed)).toEqual(
      plan.steps.flatMap((s) => [`apply ${s.id} started`, `apply ${s.id} finished`]),
    );
    const last = streamed.at(-1)!;
    expect(last.event).toBe('end');
    expect(last.data).toMatchObject({ runId, state: 'finished' });
    expect(streamed.filter((e) => e.event === 'run').map((e) => e.data.state)).toEqual(['running', 'finished']);
    const step = streamed.find((e) => e.event === 'step')!;
    expect(step.data).toMatchObject({ runId, phase: 'apply', kind: 'snapshot-credentials', position: 0, attempt: 1 });
    expect(new Date(String(step.data.time)).getTime()).toBeGreaterThan(0);

    const run = await http(sandbox.first, `/v1/runs/${runId}`, { token: sandbox.tokens.ops });
    expect(run.status).toBe(200);
    const view = run.json() as { state: string; steps: { stepId: string; state: string }[]; rollback: unknown };
    expect(view.state).toBe('finished');
    expect(view.steps.map((s) => s.state)).toEqual(['finished', 'finished', 'finished', 'finished']);
    expect(view.rollback).toBeNull();

    const list = await http(sandbox.first, '/v1/runs?limit=5', { token: sandbox.tokens.ops });
    expect((list.json() as { runs: { id: string }[] }).runs.map((r) => r.id)).toContain(runId);
  });

  it('a late subscriber gets the whole story again, and Last-Event-ID resumes after the event named', async () => {
    const replay = await events(sandbox.first, runId, { token: sandbox.tokens.ops });
    expect(replay.events.map((e) => e.id)).toEqual(streamed.filter((e) => e.event !== 'progress').map((e) => e.id));
    const third = replay.events[2]!;
    const resumed = await events(sandbox.first, runId, { token: sandbox.tokens.ops, lastEventId: third.id! });
    expect(resumed.events.map((e) => e.id)).toEqual(replay.events.slice(3).map((e) => e.id));
    const afterEnd = await call(sandbox.first, `/v1/runs/${runId}/events`, { token: sandbox.tokens.ops, headers: { 'last-event-id': 'end' } });
    expect(afterEnd.status).toBe(204);
  });

  it('POST /v1/runs/{id}/rollback answers 202, the rollback streams in the run events, and a second rollback changes nothing', async () => {
    const rollback = await http(sandbox.first, `/v1/runs/${runId}/rollback`, { token: sandbox.tokens.runner, json: {} });
    expect(rollback.status, rollback.text).toBe(202);
    const stream = await events(sandbox.first, runId, { token: sandbox.tokens.ops });
    const rollbackRuns = stream.events.filter((e) => e.event === 'run' && e.data.phase === 'rollback').map((e) => e.data.state);
    expect(rollbackRuns).toEqual(['running', 'rolled-back']);
    expect(stepSummary(stream.events).filter((s) => s.startsWith('rollback'))).toEqual(
      ['04-verify', '03-clear-missing-users', '02-reprovision-existing-users', '01-snapshot-credentials'].flatMap((id) => [`rollback ${id} started`, `rollback ${id} finished`]),
    );
    expect(stream.events.at(-1)?.data).toMatchObject({ runId, state: 'finished', rollback: 'rolled-back' });

    const run = (await http(sandbox.first, `/v1/runs/${runId}`, { token: sandbox.tokens.ops })).json() as { rollback: { state: string; steps: unknown[] } };
    expect(run.rollback.state).toBe('rolled-back');
    expect(run.rollback.steps).toHaveLength(4);
    // The gone user's credentials are back from the snapshot.
    expect(await psql(`SELECT "matrixUserId" IS NOT NULL FROM "${sandbox.schema}".users WHERE id = ${Number(sandbox.rows.gone)}`)).toEqual(['t']);

    const again = await http(sandbox.first, `/v1/runs/${runId}/rollback`, { token: sandbox.tokens.runner, method: 'POST' });
    expect(again.status, again.text).toBe(200);
    expect(again.json()).toMatchObject({ runId, state: 'rolled-back', alreadyRolledBack: true });
  });

  it('refuses what it should: unknown plan 404, unknown run 404, bad bodies 400, a read-only token 403', async () => {
    const unknownPlan = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: 'p20000101t000000_dead' } });
    expect(unknownPlan.status).toBe(404);
    expect(unknownPlan.json()).toMatchObject({ error: { code: 'plan_not_found' } });
    for (const path of ['/v1/runs/r20000101t000000_dead', '/v1/runs/r20000101t000000_dead/events']) {
      const unknownRun = await http(sandbox.first, path, { token: sandbox.tokens.ops });
      expect(unknownRun.status).toBe(404);
      expect(unknownRun.json()).toMatchObject({ error: { code: 'run_not_found' } });
    }
    const badMode = await http(sandbox.first, '/v1/plans', { token: sandbox.tokens.runner, json: { mode: 'wipe-everything' } });
    expect(badMode.status).toBe(400);
    expect((badMode.json() as { error: { message: string } }).error.message).toContain('body.mode');
    const extra = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: 'p20000101t000000_dead', force: true } });
    expect(extra.status).toBe(400);
    expect((extra.json() as { error: { message: string } }).error.message).toContain('force');
    const badId = await http(sandbox.first, '/v1/runs/NOT-A-RUN', { token: sandbox.tokens.ops });
    expect(badId.status).toBe(400);
    const readOnly = await http(sandbox.first, '/v1/plans', { token: sandbox.tokens.ops, json: {} });
    expect(readOnly.status).toBe(403);
    const noToken = await http(sandbox.first, `/v1/runs/${runId}`);
    expect(noToken.status).toBe(401);
  });

  it('leaks no bearer token, admin token, shared secret or user token into any response or log line', async () => {
    expect(seen.length).toBeGreaterThan(10);
    await expectNoSecretsLeaked(sandbox);
  });
});

describe('refusals before anything is written', () => {
  it('refuses a stale plan with 409 stale_plan listing what changed, and writes no run', async () => {
    const sandbox = await plantRunSandbox();
    try {
      const plan = await makePlan(sandbox);
      await psql(`INSERT INTO "${sandbox.schema}".users (slug, "matrixUserId", "matrixAccessToken") VALUES ('late', '@late:x', 'syt_late_${Date.now()}')`);
      const refused = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: plan.planId } });
      expect(refused.status, refused.text).toBe(409);
      const error = (refused.json() as { error: { code: string; message: string; nextSteps: string[] } }).error;
      expect(error.code).toBe('stale_plan');
      expect(error.message).toContain(`appDatabase.schemas[${sandbox.schema}].rows: 3 -> 4`);
      expect(error.nextSteps.join(' ')).toMatch(/new plan/);
      const runs = (await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.ops })).json() as { runs: { planId: string }[] };
      expect(runs.runs.filter((r) => r.planId === plan.planId)).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });

  it('a protected environment needs its name as confirm (428 without it or with another), then runs and rolls back with it', async () => {
    const sandbox = await plantRunSandbox({ protected: true });
    try {
      const plan = await makePlan(sandbox);
      for (const body of [{ planId: plan.planId }, { planId: plan.planId, confirm: 'yes' }]) {
        const refused = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: body });
        expect(refused.status, refused.text).toBe(428);
        const error = (refused.json() as { error: { code: string; nextSteps: string[] } }).error;
        expect(error.code).toBe('confirmation_required');
        expect(error.nextSteps.join(' ')).toContain(`"confirm": "${sandbox.environment}"`);
      }
      expect(((await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.ops })).json() as { runs: unknown[] }).runs).toEqual([]);

      const started = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: plan.planId, confirm: sandbox.environment } });
      expect(started.status, started.text).toBe(202);
      const { runId } = started.json() as { runId: string };
      expect((await events(sandbox.first, runId, { token: sandbox.tokens.ops })).events.at(-1)?.data).toMatchObject({ state: 'finished' });
      const noConfirm = await http(sandbox.first, `/v1/runs/${runId}/rollback`, { token: sandbox.tokens.runner, json: {} });
      expect(noConfirm.status).toBe(428);
      const rollback = await http(sandbox.first, `/v1/runs/${runId}/rollback`, { token: sandbox.tokens.runner, json: { confirm: sandbox.environment } });
      expect(rollback.status, rollback.text).toBe(202);
      await sandbox.first.service.context.runs.settle();
      const run = (await http(sandbox.first, `/v1/runs/${runId}`, { token: sandbox.tokens.ops })).json() as { rollback: { state: string } };
      expect(run.rollback.state).toBe('rolled-back');
      await expectNoSecretsLeaked(sandbox);
    } finally {
      await sandbox.close();
    }
  });
});

describe('event streams and their clients', () => {
  it('a client that goes away mid-run ends its stream on the server; a new one gets the run to its end', async () => {
    const sandbox = await plantRunSandbox();
    try {
      const control = sandbox.first.service.context.runs;
      const plan = await makePlan(sandbox);
      const rowLock = await holdRowLock(sandbox.schema, sandbox.rows.gone);
      let runId: string;
      try {
        const started = await http(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: plan.planId } });
        expect(started.status, started.text).toBe(202);
        runId = (started.json() as { runId: string }).runId;
        // Leaves once the blocked step has started: the run is still going.
        const partial = await events(sandbox.first, runId, { token: sandbox.tokens.ops, until: (e) => e.event === 'step' && e.data.stepId === plan.steps[2]!.id });
        expect(stepSummary(partial.events)).toContain(`apply ${plan.steps[2]!.id} started`);
        expect(partial.events.some((e) => e.event === 'end')).toBe(false);
        await expect.poll(() => control.openStreams(), { timeout: 5_000 }).toBe(0);
      } finally {
        await rowLock.release();
      }
      const rest = await events(sandbox.first, runId, { token: sandbox.tokens.ops });
      expect(rest.events.at(-1)?.data).toMatchObject({ state: 'finished' });
      expect(control.openStreams()).toBe(0);
    } finally {
      await sandbox.close();
    }
  });
});

describe('two instances on one database', () => {
  it('race for the lock: one run starts (202), the other is refused with 409 naming the holder; the run streams on both instances', async () => {
    const sandbox = await plantRunSandbox();
    const second = await sandbox.startInstance();
    try {
      const plan = await makePlan(sandbox);
      // The winner's run waits at its clear step while the loser asks: however slow the machine, the lock is held.
      const rowLock = await holdRowLock(sandbox.schema, sandbox.rows.gone);
      const [a, b] = await Promise.all(
        [sandbox.first, second].map((instance) => http(instance, '/v1/runs', { token: sandbox.tokens.runner, json: { planId: plan.planId } })),
      ).finally(() => rowLock.release());
      expect([a!.status, b!.status].sort()).toEqual([202, 409]);
      const [winner, loser] = a!.status === 202 ? [sandbox.first, second] : [second, sandbox.first];
      const refusal = ((a!.status === 409 ? a! : b!).json() as { error: { code: string; message: string } }).error;
      expect(refusal.code).toBe('locked');
      expect(refusal.message).toMatch(/locked by "matrix-reset http on .* for test-runner"/);
      const { runId } = ((a!.status === 202 ? a! : b!).json()) as { runId: string };

      // The instance that did not run it streams it from the journal.
      const elsewhere = await events(loser, runId, { token: sandbox.tokens.ops });
      expect(elsewhere.events.at(-1)?.data).toMatchObject({ runId, state: 'finished' });
      expect(stepSummary(elsewhere.events)).toHaveLength(8);
      expect(elsewhere.events.some((e) => e.event === 'progress')).toBe(false);
      const here = await events(winner, runId, { token: sandbox.tokens.ops });
      expect(winner.service.context.runs.openStreams()).toBe(0);
      expect(here.events.filter((e) => e.event !== 'progress').map((e) => e.id)).toEqual(elsewhere.events.map((e) => e.id));
      await expectNoSecretsLeaked(sandbox, [sandbox.first, second]);
    } finally {
      await sandbox.close();
    }
  });
});

import { createRoute, z } from '@hono/zod-openapi';
import { isResetError, type RunStatus } from '@matrix-reset/reset-core';
import { requireScope } from '../require-scope.ts';
import { ApiError } from '../http-errors.ts';
import { bearerOrSessionSecurity, bearerSecurity, createRouter } from '../router.ts';
import { toServerSentEvent, type ServedStreamItem } from '../runs/run-events.ts';
import { errorResponses } from '../schemas/error.ts';
import { planParams, planRequest, planSchema, rollbackDone, rollbackRequest, runList, runListQuery, runParams, runRequest, runSchema, runStarted, serverSentEvent } from '../schemas/runs.ts';
import type { ServiceContext } from '../service-context.ts';
import { planView, runLinks, runView } from '../views/runs.ts';

const createPlanRoute = createRoute({
  method: 'post',
  path: '/v1/plans',
  tags: ['runs'],
  summary: 'Make a reset plan (observe, doctor, build), stored so any instance can apply it; changes nothing',
  description:
    'The same plan `matrix-reset plan` writes: frozen, checksummed, secret-free (versions, counts, checksums and references only). ' +
    'Stored in the app database (schema matrix_reset, table plan); POST /v1/runs applies it.',
  security: bearerSecurity,
  middleware: [requireScope('runs:write')] as const,
  request: { body: { required: false, content: { 'application/json': { schema: planRequest } } } },
  responses: {
    201: { description: 'The plan', content: { 'application/json': { schema: planSchema } } },
    ...errorResponses(400, 401, 403, 413, 415, 422, 429, 501, 502, 503),
  },
});

const getPlanRoute = createRoute({
  method: 'get',
  path: '/v1/plans/{planId}',
  tags: ['runs'],
  summary: 'A stored plan',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { params: planParams },
  responses: { 200: { description: 'The plan', content: { 'application/json': { schema: planSchema } } }, ...errorResponses(400, 401, 403, 404, 429, 503) },
});

const startRunRoute = createRoute({
  method: 'post',
  path: '/v1/runs',
  tags: ['runs'],
  summary: 'Apply a stored plan in the background',
  description:
    "Answers 202 once the run has really begun: the environment's lock is held (Postgres advisory lock and Kubernetes Lease, so it " +
    'holds across instances), the plan is still current, and the journal has the run. Follow it with GET /v1/runs/{id}/events. ' +
    'A protected environment needs "confirm": its name. Refusals: 404 unknown plan, 409 locked (names the holder) or stale_plan ' +
    '(lists what changed), 428 confirmation_required.',
  security: bearerSecurity,
  middleware: [requireScope('runs:write')] as const,
  request: { body: { required: true, content: { 'application/json': { schema: runRequest } } } },
  responses: {
    202: { description: 'The run began', content: { 'application/json': { schema: runStarted } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 428, 429, 501, 502, 503),
  },
});

const listRunsRoute = createRoute({
  method: 'get',
  path: '/v1/runs',
  tags: ['runs'],
  summary: 'The runs of the environment, newest first, with their steps and rollbacks, a page at a time',
  description:
    'A page holds at most `limit` runs (default 20); `nextCursor` is null on the last page, else pass it as `cursor` for the next ' +
    '(older) runs. Pages follow the journal by (creation time, id), so runs started meanwhile never shift a page. ' +
    'A cursor this journal did not hand out is 400 naming query.cursor.',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { query: runListQuery },
  responses: { 200: { description: 'Runs', content: { 'application/json': { schema: runList } } }, ...errorResponses(400, 401, 403, 429, 503) },
});

const getRunRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}',
  tags: ['runs'],
  summary: 'One run: state, steps and rollback, from the journal',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { params: runParams },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: runSchema } } }, ...errorResponses(400, 401, 403, 404, 429, 503) },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/events',
  tags: ['runs'],
  summary: "The run's events as Server-Sent Events, from its start to its end",
  description:
    'Events: `run` (state changes of the run or its rollback: {runId, phase, state, time, error?}), `step` ({runId, phase, stepId, kind, position, ' +
    'state: started|finished|failed, attempt, time, error?}), `progress` ({runId, message, time}; live only, from the instance running it), and a ' +
    'final `end` ({runId, state, rollback}). Heartbeat comments keep the connection open. Replays from the start; honours Last-Event-ID. ' +
    'The journal is the source (polled: one read per run per interval on each instance, shared by all its streams), so a run ' +
    'executing on another instance streams too. Streams are limited per token and per instance (429 with Retry-After); an instance ' +
    'that stops ends its streams with a comment, and the client reconnects.',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { params: runParams },
  responses: {
    200: { description: 'The events (text/event-stream), each one of the kinds above', content: { 'text/event-stream': { schema: serverSentEvent } } },
    204: { description: 'The client already saw the end (Last-Event-ID: end): nothing more will come' },
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

const rollbackRoute = createRoute({
  method: 'post',
  path: '/v1/runs/{id}/rollback',
  tags: ['runs'],
  summary: 'Roll a run back in the background (undo what can be undone, say what cannot)',
  description:
    'Answers 202 once the rollback has begun (lock held, journaled); its steps appear in the run\'s events and in GET /v1/runs/{id}. ' +
    'Answers 200 at once when there is nothing to do (already rolled back, or no step ever started). A protected environment needs "confirm".',
  security: bearerSecurity,
  middleware: [requireScope('runs:write')] as const,
  request: { params: runParams, body: { required: false, content: { 'application/json': { schema: rollbackRequest } } } },
  responses: {
    202: { description: 'The rollback began', content: { 'application/json': { schema: runStarted } } },
    200: { description: 'Nothing to do', content: { 'application/json': { schema: rollbackDone } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 428, 429, 502, 503),
  },
});

/** `POST /v1/plans`, `GET /v1/plans/{id}`, `POST /v1/runs`, `GET /v1/runs`, `GET /v1/runs/{id}`, its events and rollback. */
export function runRoutes(ctx: ServiceContext) {
  const control = ctx.runs;
  const rollbackStepsOf = async (status: RunStatus) => (status.rollback === undefined ? [] : control.rollbackSteps(status.run.id));

  return createRouter()
    .openapi(createPlanRoute, async (c) => {
      const request = (c.req.valid('json') as z.infer<typeof planRequest> | undefined) ?? {};
      const { stored, report } = await control.createPlan({ ...request, createdBy: c.get('principal').tokenName });
      c.header('Location', `/v1/plans/${stored.plan.id}`);
      c.header('Cache-Control', 'no-store');
      return c.json(planView(stored, report), 201);
    })
    .openapi(getPlanRoute, async (c) => {
      const stored = await control.getPlan(c.req.valid('param').planId);
      c.header('Cache-Control', 'no-store');
      return c.json(planView(stored), 200);
    })
    .openapi(startRunRoute, async (c) => {
      const body = c.req.valid('json');
      const { runId: id } = await control.startRun(body.planId, { confirm: body.confirm, requestedBy: c.get('principal').tokenName });
      c.header('Location', `/v1/runs/${id}`);
      c.header('Cache-Control', 'no-store');
      return c.json({ runId: id, planId: body.planId, links: runLinks(id) }, 202);
    })
    .openapi(listRunsRoute, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await control.listRuns({ ...(limit === undefined ? {} : { limit }), ...(cursor === undefined ? {} : { cursor }) }).catch((error: unknown) => {
        // The journal's refusal of a cursor it never handed out: a bad query field, answered as the validator would.
        if (cursor !== undefined && isResetError(error, 'config_invalid')) {
          throw new ApiError(400, 'invalid_request', `query.cursor: ${error.message}`, { nextSteps: error.nextSteps, cause: error });
        }
        throw error;
      });
      c.header('Cache-Control', 'no-store');
      return c.json({ runs: await Promise.all(page.runs.map(async (r) => runView(r, await rollbackStepsOf(r)))), nextCursor: page.nextCursor ?? null }, 200);
    })
    .openapi(getRunRoute, async (c) => {
      const status = await control.getRun(c.req.valid('param').id);
      c.header('Cache-Control', 'no-store');
      return c.json(runView(status, await rollbackStepsOf(status)), 200);
    })
    .openapi(eventsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const lastEventId = c.req.header('last-event-id');
      if (lastEventId === 'end') {
        await control.getRun(id);
        return c.body(null, 204);
      }
      const abort = new AbortController();
      c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
      const events = await control.events(id, { lastEventId, signal: abort.signal, tokenName: c.get('principal').tokenName });
      const encoder = new TextEncoder();
      // Once the client went away (or the connection was cut) the controller is closed: what the generator still
      // yields or throws is dropped, not written or logged.
      let cancelled = false;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          // Reconnect after a second when the connection drops (the browser sends Last-Event-ID).
          controller.enqueue(encoder.encode('retry: 1000\n\n'));
        },
        async pull(controller) {
          let next: IteratorResult<ServedStreamItem>;
          try {
            next = await events.next();
          } catch (error) {
            if (cancelled) return;
            ctx.logger.warn({ runId: id, error: error instanceof Error ? error.message : String(error) }, 'event stream failed');
            controller.error(error);
            return;
          }
          if (cancelled) return;
          if (next.done === true) controller.close();
          else controller.enqueue(encoder.encode(toServerSentEvent(next.value)));
        },
        async cancel() {
          cancelled = true;
          abort.abort();
          await events.return(undefined);
        },
      });
      return new Response(stream, {
        status: 200,
        headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
      });
    })
    .openapi(rollbackRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = (c.req.valid('json') as z.infer<typeof rollbackRequest> | undefined) ?? {};
      const outcome = await control.startRollback(id, { confirm: body.confirm, requestedBy: c.get('principal').tokenName });
      c.header('Cache-Control', 'no-store');
      if (!outcome.started) {
        const { result } = outcome;
        return c.json({ runId: id, state: result.state, alreadyRolledBack: result.alreadyRolledBack, cannotUndo: [...result.cannotUndo], links: runLinks(id) }, 200);
      }
      c.header('Location', `/v1/runs/${id}`);
      return c.json({ runId: id, links: runLinks(id) }, 202);
    });
}

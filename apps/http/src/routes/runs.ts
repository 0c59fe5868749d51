import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { DoctorReport, JournalRollbackStep, RunStatus, StoredPlan } from '@matrix-reset/reset-core';
import { requireScope } from '../auth.ts';
import { ApiError, errorResponses } from '../http-errors.ts';
import { bearerOrSessionSecurity, bearerSecurity, createRouter } from '../router.ts';
import { createRunControl, RUN_ID_PATTERN, RunRefusal, type RunControl, type RunControlDependencies } from '../runs/run-control.ts';
import { toServerSentEvent, type ServedStreamItem } from '../runs/run-events.ts';
import type { ServiceContext } from '../service-context.ts';

const controls = new WeakMap<ServiceContext, RunControl>();

/** Event stream settings of a service's run control (polling, heartbeat, limits); defaults suit production. */
export type RunStreamSettings = Pick<RunControlDependencies, 'pollMs' | 'remotePollMs' | 'heartbeatMs' | 'streamLimits'>;

/**
 * The run control of a service context (one per context: its local runs, their progress and the event streams),
 * shared by the run routes and the status page. `settings` count only on the first call for a context (the service
 * makes that call before it builds its routes).
 *
 * @example
 * await runControlFor(ctx).settle(); // every run this instance started has stopped
 */
export function runControlFor(ctx: ServiceContext, settings: RunStreamSettings = {}): RunControl {
  let control = controls.get(ctx);
  if (control === undefined) {
    control = createRunControl({
      ...settings,
      environment: ctx.environment,
      connection: ctx.connection,
      logger: ctx.logger,
      instance: `on ${hostname()} pid ${process.pid} #${randomBytes(2).toString('hex')}`,
    });
    controls.set(ctx, control);
  }
  return control;
}

/** A refusal of run control as the HTTP answer it deserves. */
function toHttp(error: unknown): unknown {
  if (!(error instanceof RunRefusal)) return error;
  const status = (
    {
      plan_not_found: 404,
      run_not_found: 404,
      confirmation_required: 428,
      locked: 409,
      stale_plan: 409,
      rolled_back: 409,
      wrong_environment: 409,
      too_many_streams: 429,
      stopping: 503,
    } as const
  )[error.code];
  const retryAfter = ({ locked: '5', too_many_streams: '10', stopping: '1' } as Partial<Record<string, string>>)[error.code];
  return new ApiError(status, error.code, error.message, { nextSteps: error.nextSteps, ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': retryAfter } }), cause: error });
}

async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toHttp(error);
  }
}

// ---- schemas -------------------------------------------------------------------------------------------------------

const planId = z.string().regex(/^p[a-z0-9_]{1,40}$/, 'a plan id as POST /v1/plans returns it (p + time + _ + hex)').openapi({ example: 'p20260101t120000_3fa9c2d1' });
const runId = z.string().regex(RUN_ID_PATTERN, 'a run id as POST /v1/runs returns it (r + time + _ + hex)').openapi({ example: 'r20260101t120000_3fa9c2d1' });
const confirm = z.string().max(200).optional().openapi({ description: "The environment's name: required when the environment is protected (as typing it on the CLI)" });

const planRequest = z
  .strictObject({
    mode: z.enum(['auto', 'repair', 'full-reset']).optional().openapi({ description: 'auto (default) follows the doctor; repair mints new tokens; full-reset is the runbook' }),
    allowExternalDatabase: z.boolean().optional().openapi({ description: 'Plan a full reset although Synapse keeps its data in an external Postgres' }),
  })
  .openapi('PlanRequest');

const planStep = z.object({ id: z.string(), kind: z.string(), description: z.string(), undoable: z.boolean(), undo: z.string().optional() }).openapi('PlanStep');

const planSchema = z
  .object({
    planId: z.string(),
    environment: z.string(),
    mode: z.enum(['repair', 'full-reset']),
    reason: z.string(),
    warnings: z.array(z.string()),
    checksum: z.string().openapi({ description: 'sha256 of the frozen plan; apply refuses it once what it observed changed' }),
    createdAt: z.string(),
    createdBy: z.string(),
    steps: z.array(planStep),
    observed: z.object({
      synapse: z.object({ serverVersion: z.string(), authMode: z.string() }),
      storage: z.object({ engine: z.string(), pvcDeletionWipesUsers: z.union([z.boolean(), z.literal('unknown')]) }),
      kubernetes: z
        .object({ namespace: z.string(), statefulSet: z.string(), replicas: z.number().int(), pvc: z.string().nullable(), pvcExists: z.boolean(), volumeSnapshotsSupported: z.boolean() })
        .nullable(),
      secretTargets: z.number().int(),
      appDatabase: z.object({ layout: z.string(), schemas: z.array(z.object({ schema: z.string(), rows: z.number().int(), withCredentials: z.number().int() })) }),
    }),
    doctor: z.object({ action: z.string(), reason: z.string() }).optional(),
    links: z.object({ self: z.string(), runs: z.string() }),
  })
  .openapi('Plan');

const runRequest = z.strictObject({ planId, confirm }).openapi('RunRequest');
const rollbackRequest = z.strictObject({ confirm }).openapi('RollbackRequest');

const links = z.object({ self: z.string(), events: z.string(), rollback: z.string() });
const runStarted = z.object({ runId: z.string(), planId: z.string().optional(), links }).openapi('RunStarted');

const failure = z.object({ code: z.string(), message: z.string() });
const stepSchema = z
  .object({
    stepId: z.string(),
    position: z.number().int(),
    kind: z.string(),
    state: z.enum(['started', 'finished', 'failed']),
    attempts: z.number().int(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    detail: z.unknown().openapi({ description: 'What the step reported: counts and names, never a secret' }),
  })
  .openapi('RunStep');

const runSchema = z
  .object({
    id: z.string(),
    planId: z.string(),
    planChecksum: z.string(),
    environment: z.string(),
    mode: z.string(),
    state: z.enum(['running', 'finished', 'failed']),
    holder: z.string(),
    error: failure.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    steps: z.array(stepSchema),
    rollback: z
      .object({
        state: z.enum(['running', 'rolled-back', 'rollback-failed']),
        holder: z.string(),
        error: failure.nullable(),
        createdAt: z.string(),
        updatedAt: z.string(),
        steps: z.array(z.object({ stepId: z.string(), kind: z.string(), state: z.enum(['started', 'finished', 'failed']), attempts: z.number().int(), startedAt: z.string(), finishedAt: z.string().nullable(), detail: z.unknown() })),
      })
      .nullable(),
    links,
  })
  .openapi('Run');

const rollbackDone = z
  .object({ runId: z.string(), state: z.string(), alreadyRolledBack: z.boolean(), cannotUndo: z.array(z.string()), links })
  .openapi('RollbackResult');

// ---- JSON views ----------------------------------------------------------------------------------------------------

function runLinks(id: string) {
  return { self: `/v1/runs/${id}`, events: `/v1/runs/${id}/events`, rollback: `/v1/runs/${id}/rollback` };
}

/** A stored plan as the API shows it: steps and a summary of what it observed (versions and counts). */
export function planView(stored: StoredPlan, report?: DoctorReport): z.infer<typeof planSchema> {
  const { plan } = stored;
  const k = plan.observed.kubernetes;
  return {
    planId: plan.id,
    environment: plan.environment,
    mode: plan.mode,
    reason: plan.reason,
    warnings: [...plan.warnings],
    checksum: stored.checksum,
    createdAt: plan.createdAt,
    createdBy: stored.createdBy,
    steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, description: s.description, undoable: s.undoable, ...(s.undo === undefined ? {} : { undo: s.undo }) })),
    observed: {
      synapse: { ...plan.observed.synapse },
      storage: { ...plan.observed.storage },
      kubernetes:
        k === undefined
          ? null
          : { namespace: k.namespace, statefulSet: k.statefulSet.name, replicas: k.statefulSet.replicas, pvc: k.pvc.name ?? null, pvcExists: k.pvc.exists, volumeSnapshotsSupported: k.volumeSnapshotsSupported },
      secretTargets: plan.observed.secrets.length,
      appDatabase: { layout: plan.observed.appDatabase.layout, schemas: plan.observed.appDatabase.schemas.map((s) => ({ schema: s.schema, rows: s.rows, withCredentials: s.withCredentials })) },
    },
    ...(report === undefined ? {} : { doctor: { action: report.recommendation.action, reason: report.recommendation.reason } }),
    links: { self: `/v1/plans/${plan.id}`, runs: '/v1/runs' },
  };
}

const iso = (date: Date | undefined) => (date === undefined ? null : date.toISOString());

/** A run from the journal as the API shows it. */
export function runView(status: RunStatus, rollbackSteps: readonly JournalRollbackStep[] = []): z.infer<typeof runSchema> {
  const { run, steps, rollback } = status;
  return {
    id: run.id,
    planId: run.planId,
    planChecksum: run.planChecksum,
    environment: run.environment,
    mode: run.mode,
    state: run.state,
    holder: run.holder,
    error: run.error ?? null,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    steps: steps.map((s) => ({ stepId: s.stepId, position: s.position, kind: s.kind, state: s.state, attempts: s.attempts, startedAt: s.startedAt.toISOString(), finishedAt: iso(s.finishedAt), detail: s.detail ?? null })),
    rollback:
      rollback === undefined
        ? null
        : {
            state: rollback.state,
            holder: rollback.holder,
            error: rollback.error ?? null,
            createdAt: rollback.createdAt.toISOString(),
            updatedAt: rollback.updatedAt.toISOString(),
            steps: rollbackSteps.map((s) => ({ stepId: s.stepId, kind: s.kind, state: s.state, attempts: s.attempts, startedAt: s.startedAt.toISOString(), finishedAt: iso(s.finishedAt), detail: s.detail ?? null })),
          },
    links: runLinks(run.id),
  };
}

// ---- routes --------------------------------------------------------------------------------------------------------

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
    ...errorResponses(400, 401, 403, 413, 429, 501, 502, 503),
  },
});

const getPlanRoute = createRoute({
  method: 'get',
  path: '/v1/plans/{planId}',
  tags: ['runs'],
  summary: 'A stored plan',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { params: z.object({ planId: planId.openapi({ param: { name: 'planId', in: 'path' } }) }) },
  responses: { 200: { description: 'The plan', content: { 'application/json': { schema: planSchema } } }, ...errorResponses(400, 401, 403, 404, 429) },
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
    428: { description: 'The environment is protected: send its name as confirm', content: { 'application/json': { schema: errorResponses(400)[400]!.content['application/json'].schema } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 429, 501, 502, 503),
  },
});

const listRunsRoute = createRoute({
  method: 'get',
  path: '/v1/runs',
  tags: ['runs'],
  summary: 'The recent runs of the environment, newest first, with their steps and rollbacks',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most this many (default 20)' }) }) },
  responses: { 200: { description: 'Runs', content: { 'application/json': { schema: z.object({ runs: z.array(runSchema) }) } } }, ...errorResponses(400, 401, 403, 429) },
});

const runParams = z.object({ id: runId.openapi({ param: { name: 'id', in: 'path' } }) });

const getRunRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}',
  tags: ['runs'],
  summary: 'One run: state, steps and rollback, from the journal',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { params: runParams },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: runSchema } } }, ...errorResponses(400, 401, 403, 404, 429) },
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
    200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
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
    428: { description: 'The environment is protected: send its name as confirm', content: { 'application/json': { schema: errorResponses(400)[400]!.content['application/json'].schema } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 429, 502, 503),
  },
});

/** `POST /v1/plans`, `GET /v1/plans/{id}`, `POST /v1/runs`, `GET /v1/runs`, `GET /v1/runs/{id}`, its events and rollback. */
export function runRoutes(ctx: ServiceContext) {
  const control = runControlFor(ctx);
  const rollbackStepsOf = async (status: RunStatus) => (status.rollback === undefined ? [] : control.rollbackSteps(status.run.id));

  return createRouter()
    .openapi(createPlanRoute, async (c) => {
      const request = (c.req.valid('json') as z.infer<typeof planRequest> | undefined) ?? {};
      const { stored, report } = await answer(() => control.createPlan({ ...request, createdBy: c.get('principal').tokenName }));
      c.header('Location', `/v1/plans/${stored.plan.id}`);
      c.header('Cache-Control', 'no-store');
      return c.json(planView(stored, report), 201);
    })
    .openapi(getPlanRoute, async (c) => {
      const stored = await answer(() => control.getPlan(c.req.valid('param').planId));
      c.header('Cache-Control', 'no-store');
      return c.json(planView(stored), 200);
    })
    .openapi(startRunRoute, async (c) => {
      const body = c.req.valid('json');
      const { runId: id } = await answer(() => control.startRun(body.planId, { confirm: body.confirm, requestedBy: c.get('principal').tokenName }));
      c.header('Location', `/v1/runs/${id}`);
      c.header('Cache-Control', 'no-store');
      return c.json({ runId: id, planId: body.planId, links: runLinks(id) }, 202);
    })
    .openapi(listRunsRoute, async (c) => {
      const { limit } = c.req.valid('query');
      const runs = await control.listRuns(limit === undefined ? {} : { limit });
      c.header('Cache-Control', 'no-store');
      return c.json({ runs: await Promise.all(runs.map(async (r) => runView(r, await rollbackStepsOf(r)))) }, 200);
    })
    .openapi(getRunRoute, async (c) => {
      const status = await answer(() => control.getRun(c.req.valid('param').id));
      c.header('Cache-Control', 'no-store');
      return c.json(runView(status, await rollbackStepsOf(status)), 200);
    })
    .openapi(eventsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const lastEventId = c.req.header('last-event-id');
      if (lastEventId === 'end') {
        await answer(() => control.getRun(id));
        return c.body(null, 204);
      }
      const abort = new AbortController();
      c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
      const events = await answer(() => control.events(id, { lastEventId, signal: abort.signal, tokenName: c.get('principal').tokenName }));
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
      const outcome = await answer(() => control.startRollback(id, { confirm: body.confirm, requestedBy: c.get('principal').tokenName }));
      c.header('Cache-Control', 'no-store');
      if (!outcome.started) {
        const { result } = outcome;
        return c.json({ runId: id, state: result.state, alreadyRolledBack: result.alreadyRolledBack, cannotUndo: [...result.cannotUndo], links: runLinks(id) }, 200);
      }
      c.header('Location', `/v1/runs/${id}`);
      return c.json({ runId: id, links: runLinks(id) }, 202);
    });
}

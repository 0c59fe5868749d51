import { z } from '@hono/zod-openapi';

// The bodies of the run routes (routes/runs.ts) as zod schemas, named in the OpenAPI document.

const planId = z.string().regex(/^p[a-z0-9_]{1,40}$/, 'a plan id as POST /v1/plans returns it (p + time + _ + hex)').openapi({ example: 'p20260101t120000_3fa9c2d1' });
/** The shape of run ids in URLs (reset-core's and run control's ids: r + UTC time + _ + hex). */
const runId = z.string().regex(/^[a-z0-9][a-z0-9_]{0,31}$/, 'a run id as POST /v1/runs returns it (r + time + _ + hex)').openapi({ example: 'r20260101t120000_3fa9c2d1' });
const confirm = z.string().max(200).optional().openapi({ description: "The environment's name: required when the environment is protected (as typing it on the CLI)" });

export const planRequest = z
  .strictObject({
    mode: z.enum(['auto', 'repair', 'full-reset', 'restore-admin']).optional().openapi({ description: 'auto (default) follows the doctor; repair mints new tokens; full-reset is the runbook; restore-admin brings a working admin token back' }),
    allowExternalDatabase: z
      .boolean()
      .optional()
      .openapi({ description: "Postgres-backed Synapse: plan only the PVC part of a full reset and leave its database to the operator (by default the plan resets the database itself)" }),
    wipeMedia: z.boolean().optional().openapi({ description: 'Postgres-backed Synapse: also delete its PVC (media, a signing key kept there); kept by default' }),
    terminateDatabaseSessions: z
      .boolean()
      .optional()
      .openapi({ description: "Postgres-backed Synapse: end the sessions left on its database once its processes are stopped, instead of refusing" }),
    databaseBackup: z
      .enum(['auto', 'rename', 'dump'])
      .optional()
      .openapi({ description: 'Postgres-backed Synapse: rename (moved aside; needs CREATEDB and ownership), dump (pg_dump into synapse.database.dumpDirectory, then emptied in place) or auto (default): rename where the role may, else dump' }),
    clearDeactivated: z
      .boolean()
      .optional()
      .openapi({ description: "Repair plans: also clear the stored credentials of rows naming deactivated Matrix users (the app's decision; left alone by default)" }),
  })
  .openapi('PlanRequest');

const planStep = z.object({ id: z.string(), kind: z.string(), description: z.string(), undoable: z.boolean(), undo: z.string().optional() }).openapi('PlanStep');

export const planSchema = z
  .object({
    planId: z.string(),
    environment: z.string(),
    mode: z.enum(['repair', 'full-reset', 'restore-admin']),
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
        .object({
          namespace: z.string(),
          workload: z
            .object({ kind: z.enum(['StatefulSet', 'Deployment']), name: z.string() })
            .openapi({ description: "Synapse's main process: a StatefulSet or a Deployment" }),
          statefulSet: z.string().optional().openapi({ description: 'The workload\'s name when it is a StatefulSet (as before workloads had a kind); absent for a Deployment' }),
          replicas: z.number().int().openapi({ description: "The main workload's replicas when the plan was made" }),
          workers: z
            .array(z.object({ kind: z.enum(['StatefulSet', 'Deployment']), name: z.string(), replicas: z.number().int() }))
            .openapi({ description: "Synapse's workers (kubernetes.workers.selector): scaled to 0 before it, back after it" }),
          pvc: z.string().nullable(),
          pvcExists: z.boolean(),
          volumeSnapshotsSupported: z.boolean(),
        })
        .nullable(),
      secretTargets: z.number().int(),
      appDatabase: z.object({ layout: z.string(), schemas: z.array(z.object({ schema: z.string(), rows: z.number().int(), withCredentials: z.number().int() })) }),
    }),
    doctor: z.object({ action: z.string(), reason: z.string() }).optional(),
    links: z.object({ self: z.string(), runs: z.string() }),
  })
  .openapi('Plan');

export const runRequest = z.strictObject({ planId, confirm }).openapi('RunRequest');
export const rollbackRequest = z.strictObject({ confirm }).openapi('RollbackRequest');

const links = z.object({ self: z.string(), events: z.string(), rollback: z.string() });
export const runStarted = z.object({ runId: z.string(), planId: z.string().optional(), links }).openapi('RunStarted');

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

export const runSchema = z
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

export const rollbackDone = z
  .object({ runId: z.string(), state: z.string(), alreadyRolledBack: z.boolean(), cannotUndo: z.array(z.string()), links })
  .openapi('RollbackResult');

/** `GET /v1/runs?limit=&cursor=`. */
export const runListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most this many (default 20)' }),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, 'a nextCursor as a previous page answered it')
    .optional()
    .openapi({ description: "The previous page's nextCursor: the runs older than that page's last" }),
});

export const runList = z
  .object({
    runs: z.array(runSchema),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as ?cursor= for the next (older) page; null on the last page' }),
  })
  .openapi('RunList');

export const planParams = z.object({ planId: planId.openapi({ param: { name: 'planId', in: 'path' } }) });

export const runParams = z.object({ id: runId.openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * One Server-Sent Event of `GET /v1/runs/{id}/events` as its fields (`event`, `id`, `data`, `retry`); `data` is the
 * JSON of the event named by `event`, described in the route.
 */
export const serverSentEvent = z
  .object({
    event: z.enum(['run', 'step', 'progress', 'end']).optional(),
    id: z.string().optional().openapi({ description: 'Resume after it with Last-Event-ID' }),
    data: z.string().optional().openapi({ description: 'The JSON of the event (one line)' }),
    retry: z.number().int().min(0).optional(),
  })
  .openapi('ServerSentEvent');

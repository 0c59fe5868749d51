import { z } from 'zod';
import { requireToken, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// The background updates admin API (`/_synapse/admin/v1/background_updates/...`): pausing the database's
// background updates, reading which one runs, and queueing one of the jobs Synapse offers.

const enabledSchema = z.looseObject({ enabled: z.boolean() }).transform((body) => ({ enabled: body.enabled }));

const UPDATE_KEYS = ['name', 'total_item_count', 'total_duration_ms', 'average_items_per_ms'] as const;

const currentUpdateSchema = z
  .looseObject({
    name: z.string(),
    total_item_count: z.number(),
    total_duration_ms: z.number(),
    average_items_per_ms: z.number().nullish(),
  })
  .transform((body) => ({
    name: body.name,
    /** Items processed so far (what an item is depends on the update). */
    totalItemCount: body.total_item_count,
    /** Time spent running, sleeps excluded. */
    totalDurationMs: body.total_duration_ms,
    /** Exponential average of the throughput; `undefined` before the first batch. */
    averageItemsPerMs: body.average_items_per_ms ?? undefined,
    other: unknownFields(body, UPDATE_KEYS),
  }));

const statusSchema = z
  .looseObject({ enabled: z.boolean(), current_updates: z.record(z.string(), currentUpdateSchema) })
  .transform((body) => ({
    enabled: body.enabled,
    /** The update each database is running, by database name (usually `master`); empty when none runs. */
    currentUpdates: Object.freeze(body.current_updates),
    other: unknownFields(body, ['enabled', 'current_updates']),
  }));

const emptyObjectSchema = z.looseObject({}).transform(() => undefined);

export type BackgroundUpdatesStatus = z.output<typeof statusSchema>;
export type BackgroundUpdate = z.output<typeof currentUpdateSchema>;

/**
 * A job `startJob` can queue: recalculate room statistics, rebuild the user directory, or re-sign locally sent
 * events with the current signing key (only those whose signature verifies against `oldKey`, `"ed25519:<id> <base64
 * public key>"`, and received before `beforeMs`, when given).
 */
export type BackgroundJob =
  | { readonly jobName: 'populate_stats_process_rooms' }
  | { readonly jobName: 'regenerate_directory' }
  | { readonly jobName: 'event_resign'; readonly oldKey?: string | undefined; readonly beforeMs?: number | undefined };

/** `GET /_synapse/admin/v1/background_updates/enabled`. */
export function backgroundUpdatesEnabled(context: ClientContext): Promise<{ enabled: boolean }> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/background_updates/enabled',
    path: '/_synapse/admin/v1/background_updates/enabled',
    accessToken: requireToken(context, 'backgroundUpdates.getEnabled'),
    idempotency: 'idempotent',
    schema: enabledSchema,
  });
}

/** `POST /_synapse/admin/v1/background_updates/enabled`: pauses or resumes them until the next restart. */
export function setBackgroundUpdatesEnabled(context: ClientContext, enabled: boolean): Promise<{ enabled: boolean }> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/background_updates/enabled',
    path: '/_synapse/admin/v1/background_updates/enabled',
    body: { enabled },
    accessToken: requireToken(context, 'backgroundUpdates.setEnabled'),
    // Setting a flag to a value: a repeat changes nothing.
    idempotency: 'idempotent',
    schema: enabledSchema,
  });
}

/** `GET /_synapse/admin/v1/background_updates/status`. */
export function backgroundUpdatesStatus(context: ClientContext): Promise<BackgroundUpdatesStatus> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/background_updates/status',
    path: '/_synapse/admin/v1/background_updates/status',
    accessToken: requireToken(context, 'backgroundUpdates.status'),
    idempotency: 'idempotent',
    schema: statusSchema,
  });
}

/**
 * `POST /_synapse/admin/v1/background_updates/start_job`: queues the job and starts running updates. Synapse answers
 * `bad_request` when the same job is still queued.
 */
export function startBackgroundJob(context: ClientContext, job: BackgroundJob): Promise<void> {
  const body =
    job.jobName === 'event_resign'
      ? {
          job_name: job.jobName,
          ...(job.oldKey === undefined ? {} : { old_key: job.oldKey }),
          ...(job.beforeMs === undefined ? {} : { before_ts: job.beforeMs }),
        }
      : { job_name: job.jobName };
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/background_updates/start_job',
    path: '/_synapse/admin/v1/background_updates/start_job',
    body,
    accessToken: requireToken(context, 'backgroundUpdates.startJob'),
    idempotency: 'rate-limit-only',
    schema: emptyObjectSchema,
  });
}

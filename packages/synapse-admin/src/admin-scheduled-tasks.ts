import { z } from 'zod';
import { requireToken, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// The scheduled tasks admin API (`GET /_synapse/admin/v1/scheduled_tasks`): the tasks Synapse's task scheduler
// holds (room shutdowns and purges, user redactions, ...), with their status and result.

export type ScheduledTaskStatus = 'scheduled' | 'active' | 'complete' | 'cancelled' | 'failed';

const TASK_KEYS = ['id', 'action', 'status', 'timestamp_ms', 'resource_id', 'result', 'error'] as const;

const taskSchema = z
  .looseObject({
    id: z.string(),
    action: z.string(),
    status: z.enum(['scheduled', 'active', 'complete', 'cancelled', 'failed']),
    timestamp_ms: z.number(),
    resource_id: z.string().nullish(),
    result: z.unknown().optional(),
    error: z.string().nullish(),
  })
  .transform((body) => ({
    id: body.id,
    /** The action's name, e.g. `shutdown_and_purge_room`. */
    action: body.action,
    status: body.status,
    /** When a `scheduled` task is due; for the others, when its state last changed (ms since the epoch). */
    timestampMs: body.timestamp_ms,
    /** What it acts on (a room id, a user id), when it has one. */
    resourceId: body.resource_id ?? undefined,
    /** Its result as Synapse stored it (JSON), when it has one. */
    result: body.result ?? undefined,
    /** Why it failed, for `failed` tasks. */
    error: body.error ?? undefined,
    other: unknownFields(body, TASK_KEYS),
  }));

const taskListSchema = z.looseObject({ scheduled_tasks: z.array(taskSchema) }).transform((body) => body.scheduled_tasks);

export type ScheduledTask = z.output<typeof taskSchema>;

/** Filters of {@link listScheduledTasks}; each one given narrows the list. */
export interface ScheduledTaskFilters {
  /** Only tasks of this action, e.g. `shutdown_and_purge_room`. */
  actionName?: string | undefined;
  /** Only tasks acting on this resource (room id, user id, ...). */
  resourceId?: string | undefined;
  status?: ScheduledTaskStatus | undefined;
  /** Only tasks whose `timestampMs` is before this (ms since the epoch). */
  maxTimestampMs?: number | undefined;
}

/** `GET /_synapse/admin/v1/scheduled_tasks`: every matching task, in one answer (Synapse does not paginate it). */
export function listScheduledTasks(context: ClientContext, filters: ScheduledTaskFilters = {}): Promise<ScheduledTask[]> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/scheduled_tasks',
    path: '/_synapse/admin/v1/scheduled_tasks',
    query: { action_name: filters.actionName, resource_id: filters.resourceId, status: filters.status, max_timestamp: filters.maxTimestampMs },
    accessToken: requireToken(context, 'scheduledTasks.list'),
    idempotency: 'idempotent',
    schema: taskListSchema,
  });
}

import { z } from 'zod';
import { backgroundTask, type BackgroundTask } from './background-task.ts';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// The purge history admin API (docs/admin_api/purge_history_api.md): deletes a room's events older than a point,
// in the background, keeping the latest event and the room's current state.

/** Where the purge stops: everything before this event, or before this time. */
export type PurgeHistoryOptions = (
  | {
      /** Purge the events before this one (it is kept). */
      upToEventId: string;
      upToTsMs?: never;
    }
  | {
      /** Purge the events received before this time (ms since the epoch). */
      upToTsMs: number;
      upToEventId?: never;
    }
) & {
  /**
   * Also delete events sent by this server's users (default false: only remote events go, as local ones cannot be
   * fetched back over federation).
   */
  deleteLocalEvents?: boolean;
};

const purgeStatusFields = { status: z.string(), error: z.string().nullish() };

const purgeStatusSchema = z.looseObject(purgeStatusFields).transform((body) => ({
  /** `active`, `complete` or `failed`. */
  status: body.status,
  error: body.error ?? undefined,
  other: unknownFields(body, Object.keys(purgeStatusFields)),
}));

export type PurgeHistoryStatus = z.infer<typeof purgeStatusSchema>;

const purgeIdSchema = z.looseObject({ purge_id: z.string().min(1) });

/** `GET /_synapse/admin/v1/purge_history_status/<purge_id>`; `not_found` once Synapse has forgotten the purge. */
export function purgeHistoryStatus(context: ClientContext, purgeId: string): Promise<PurgeHistoryStatus> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/purge_history_status/{purgeId}',
    path: `/_synapse/admin/v1/purge_history_status/${segment(purgeId)}`,
    accessToken: requireToken(context, 'purgeHistoryStatus'),
    idempotency: 'idempotent',
    schema: purgeStatusSchema,
  });
}

/** The handle of a purge: `status()` once, `wait()` until done (`background_task_failed` / `background_task_timeout`). */
export function purgeHistoryTask(context: ClientContext, purgeId: string): BackgroundTask<PurgeHistoryStatus> {
  return backgroundTask({
    id: purgeId,
    what: 'Purge of history',
    statusPath: `/_synapse/admin/v1/purge_history_status/${segment(purgeId)}`,
    fetch: () => purgeHistoryStatus(context, purgeId),
    state: (status) =>
      status.status === 'complete' ? { kind: 'done' } : status.status === 'failed' ? { kind: 'failed', error: status.error } : { kind: 'running', name: status.status },
    failedCode: 'background_task_failed',
    timeoutCode: 'background_task_timeout',
    onFailure: ['Check the Synapse logs for the purge; the room may have been deleted meanwhile.'],
  });
}

/**
 * `POST /_synapse/admin/v1/purge_history/<room_id>`: starts purging the room's history up to an event or a time
 * and returns the purge's handle. `not_found` when no event is older than `upToTsMs`; `bad_request` for an event
 * of another room.
 */
export async function purgeHistory(context: ClientContext, roomId: string, options: PurgeHistoryOptions): Promise<BackgroundTask<PurgeHistoryStatus>> {
  const { purge_id: purgeId } = await context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/purge_history/{roomId}',
    path: `/_synapse/admin/v1/purge_history/${segment(roomId)}`,
    accessToken: requireToken(context, 'purgeHistory'),
    body: {
      ...(options.upToEventId === undefined ? {} : { purge_up_to_event_id: options.upToEventId }),
      ...(options.upToTsMs === undefined ? {} : { purge_up_to_ts: options.upToTsMs }),
      ...(options.deleteLocalEvents === undefined ? {} : { delete_local_events: options.deleteLocalEvents }),
    },
    idempotency: 'rate-limit-only',
    schema: purgeIdSchema,
  });
  return purgeHistoryTask(context, purgeId);
}

import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// The fetch event admin API (`GET /_synapse/admin/v1/fetch_event/<event_id>`): any event the server knows, whatever
// the admin's membership of its room.

const EVENT_KEYS = ['event_id', 'room_id', 'sender', 'type', 'state_key', 'content', 'origin_server_ts', 'unsigned'] as const;

const fetchedEventSchema = z
  .looseObject({
    event_id: z.string(),
    room_id: z.string(),
    sender: z.string(),
    type: z.string(),
    state_key: z.string().optional(),
    content: z.record(z.string(), z.unknown()),
    origin_server_ts: z.number(),
    unsigned: z.record(z.string(), z.unknown()).optional(),
  })
  .transform((event) => ({
    eventId: event.event_id,
    roomId: event.room_id,
    sender: event.sender,
    type: event.type,
    /** Set on state events only. */
    stateKey: event.state_key,
    content: event.content,
    originServerMs: event.origin_server_ts,
    unsigned: event.unsigned ?? {},
    /** The rest of the federation form (`auth_events`, `prev_events`, `depth`, `hashes`, `signatures`, ...). */
    other: unknownFields(event, EVENT_KEYS),
  }));

const fetchEventSchema = z.looseObject({ event: fetchedEventSchema }).transform((body) => body.event);

export type FetchedEvent = z.output<typeof fetchedEventSchema>;

/** `GET /_synapse/admin/v1/fetch_event/<event_id>`: the event as stored (redacted ones as redacted); `not_found` when unknown. */
export function fetchEvent(context: ClientContext, eventId: string): Promise<FetchedEvent> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/fetch_event/{eventId}',
    path: `/_synapse/admin/v1/fetch_event/${segment(eventId)}`,
    accessToken: requireToken(context, 'events.fetch'),
    idempotency: 'idempotent',
    schema: fetchEventSchema,
  });
}

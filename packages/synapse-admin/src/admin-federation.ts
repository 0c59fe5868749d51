import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// The federation admin API (`/_synapse/admin/v1/federation/destinations...`): the remote servers this one talks
// to, their retry timings, the rooms shared with each, and resetting a destination's backoff.

const DESTINATION_KEYS = ['destination', 'retry_last_ts', 'retry_interval', 'failure_ts', 'last_successful_stream_ordering'] as const;

const destinationSchema = z
  .looseObject({
    destination: z.string(),
    retry_last_ts: z.number().nullish(),
    retry_interval: z.number().nullish(),
    failure_ts: z.number().nullish(),
    last_successful_stream_ordering: z.number().nullish(),
  })
  .transform((body) => ({
    destination: body.destination,
    /** When Synapse last tried and failed to reach it (ms since the epoch); 0 when the last attempt succeeded. */
    retryLastMs: body.retry_last_ts ?? 0,
    /** How long Synapse waits after `retryLastMs` before trying again (ms); 0 when it is not backing off. */
    retryIntervalMs: body.retry_interval ?? 0,
    /** When it started failing (ms since the epoch); `undefined` when it is not failing. */
    failureMs: body.failure_ts ?? undefined,
    /** Stream ordering of the last PDU sent to it successfully; `undefined` when not tracked yet. */
    lastSuccessfulStreamOrdering: body.last_successful_stream_ordering ?? undefined,
    other: unknownFields(body, DESTINATION_KEYS),
  }));

/** Pagination tokens are offsets, sent as strings ("string representing a positive integer"). */
const nextTokenSchema = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value == null ? undefined : String(value)));

const destinationPageSchema = z
  .looseObject({ destinations: z.array(destinationSchema), total: z.number(), next_token: nextTokenSchema })
  .transform((body) => ({ items: body.destinations, nextToken: body.next_token, total: body.total }));

const DESTINATION_ROOM_KEYS = ['room_id', 'stream_ordering'] as const;

const destinationRoomSchema = z
  .looseObject({ room_id: z.string(), stream_ordering: z.number().nullish() })
  .transform((body) => ({
    roomId: body.room_id,
    /** Stream ordering of the last PDU of this room sent to the destination successfully. */
    streamOrdering: body.stream_ordering ?? undefined,
    other: unknownFields(body, DESTINATION_ROOM_KEYS),
  }));

const destinationRoomPageSchema = z
  .looseObject({ rooms: z.array(destinationRoomSchema), total: z.number(), next_token: nextTokenSchema })
  .transform((body) => ({ items: body.rooms, nextToken: body.next_token, total: body.total }));

const emptyObjectSchema = z.looseObject({}).transform(() => undefined);

export type Destination = z.output<typeof destinationSchema>;
export type DestinationRoom = z.output<typeof destinationRoomSchema>;

/** One page of a list, and the token that resumes it (`undefined` on the last page). */
export interface FederationPage<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
  readonly total: number;
}

export interface ListDestinationsOptions {
  /** Resume from a previous page's `nextToken` (an offset). */
  from?: string | undefined;
  /** Page size (Synapse's default 100). */
  limit?: number | undefined;
  /** Only destinations whose name contains this text. */
  destination?: string | undefined;
  /** Sort key (default `destination`; the others are unindexed and costly on a large server). */
  orderBy?: 'destination' | 'retry_last_ts' | 'retry_interval' | 'failure_ts' | 'last_successful_stream_ordering' | undefined;
  dir?: 'f' | 'b' | undefined;
}

/** `GET /_synapse/admin/v1/federation/destinations`: one page of the remote servers this one federates with. */
export async function listDestinationsPage(context: ClientContext, options: ListDestinationsOptions = {}): Promise<FederationPage<Destination>> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/federation/destinations',
    path: '/_synapse/admin/v1/federation/destinations',
    query: { from: options.from, limit: options.limit, destination: options.destination, order_by: options.orderBy, dir: options.dir },
    accessToken: requireToken(context, 'federation.listDestinationsPage'),
    idempotency: 'idempotent',
    schema: destinationPageSchema,
  });
}

/** Every destination, page by page, following `next_token`. */
export async function* listDestinations(context: ClientContext, options: Omit<ListDestinationsOptions, 'from'> = {}): AsyncGenerator<Destination, void, undefined> {
  let from: string | undefined;
  do {
    const page = await listDestinationsPage(context, { ...options, from });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

/** `GET /_synapse/admin/v1/federation/destinations/<destination>`: `not_found` when the server never talked to it. */
export function getDestination(context: ClientContext, destination: string): Promise<Destination> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/federation/destinations/{destination}',
    path: `/_synapse/admin/v1/federation/destinations/${segment(destination)}`,
    accessToken: requireToken(context, 'federation.getDestination'),
    idempotency: 'idempotent',
    schema: destinationSchema,
  });
}

export interface ListDestinationRoomsOptions {
  /** Resume from a previous page's `nextToken` (an offset). */
  from?: string | undefined;
  /** Page size (Synapse's default 100). */
  limit?: number | undefined;
  /** Order by room id, forwards (default) or backwards. */
  dir?: 'f' | 'b' | undefined;
}

/** `GET /_synapse/admin/v1/federation/destinations/<destination>/rooms`: one page of the rooms shared with it. */
export function listDestinationRoomsPage(context: ClientContext, destination: string, options: ListDestinationRoomsOptions = {}): Promise<FederationPage<DestinationRoom>> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/federation/destinations/{destination}/rooms',
    path: `/_synapse/admin/v1/federation/destinations/${segment(destination)}/rooms`,
    query: { from: options.from, limit: options.limit, dir: options.dir },
    accessToken: requireToken(context, 'federation.listDestinationRoomsPage'),
    idempotency: 'idempotent',
    schema: destinationRoomPageSchema,
  });
}

/** Every room shared with `destination`, page by page. */
export async function* listDestinationRooms(
  context: ClientContext,
  destination: string,
  options: Omit<ListDestinationRoomsOptions, 'from'> = {},
): AsyncGenerator<DestinationRoom, void, undefined> {
  let from: string | undefined;
  do {
    const page = await listDestinationRoomsPage(context, destination, { ...options, from });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

/**
 * `POST /_synapse/admin/v1/federation/destinations/<destination>/reset_connection`: clears the backoff and retries
 * in the background. Synapse answers `bad_request` when the destination is not backing off (`retryLastMs` 0).
 */
export function resetDestinationConnection(context: ClientContext, destination: string): Promise<void> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/federation/destinations/{destination}/reset_connection',
    path: `/_synapse/admin/v1/federation/destinations/${segment(destination)}/reset_connection`,
    body: {},
    accessToken: requireToken(context, 'federation.resetConnection'),
    idempotency: 'idempotent',
    schema: emptyObjectSchema,
  });
}

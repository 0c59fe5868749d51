import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { deleteIdSchema, deleteStatusSchema, emptySchema, roomIdSchema, roomPageSchema, roomSummary, roomSummaryFields, shutdownResultSchema } from './schemas.ts';
import { backgroundTask, type WaitOptions } from './background-task.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { unknownFields } from './unknown-fields.ts';

export type ListedRoom = z.infer<typeof roomPageSchema>['rooms'][number];
export type RoomDeleteStatus = z.infer<typeof deleteStatusSchema>;
export type RoomShutdownResult = z.infer<typeof shutdownResultSchema>;

export interface ListRoomsOptions {
  /** Page size (Synapse's default 100). */
  limit?: number;
  /** Filter on room name, canonical alias or room id. */
  searchTerm?: string;
  orderBy?: 'name' | 'canonical_alias' | 'joined_members' | 'joined_local_members' | 'version' | 'creator' | 'encryption' | 'federatable' | 'public' | 'join_rules' | 'guest_access' | 'history_visibility' | 'state_events';
  dir?: 'f' | 'b';
  /** Only public rooms (true) or only non-public ones (false). */
  publicRooms?: boolean;
  /** Only rooms without joined members (true) or only rooms with some (false). */
  emptyRooms?: boolean;
}

/** One page of rooms: the rooms, the token of the next page (`undefined` on the last one) and how many rooms match. */
export interface RoomsPage {
  readonly items: ListedRoom[];
  readonly nextToken: string | undefined;
  readonly total: number;
}

/** One `GET /_synapse/admin/v1/rooms` page from `from` (the `nextToken` of an earlier page; the start by default). */
export async function listRoomsPage(context: ClientContext, options: ListRoomsOptions & { from?: string } = {}): Promise<RoomsPage> {
  const page = await context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms',
    path: '/_synapse/admin/v1/rooms',
    query: {
      from: options.from,
      limit: options.limit,
      search_term: options.searchTerm,
      order_by: options.orderBy,
      dir: options.dir,
      public_rooms: options.publicRooms,
      empty_rooms: options.emptyRooms,
    },
    accessToken: requireToken(context, 'listRoomsPage'),
    idempotency: 'idempotent',
    schema: roomPageSchema,
  });
  return {
    items: page.rooms,
    nextToken: page.next_batch == null ? undefined : String(page.next_batch),
    total: page.total_rooms ?? page.rooms.length,
  };
}

/** Every room, one {@link listRoomsPage} at a time, following `next_batch`. */
export async function* listRooms(context: ClientContext, options: ListRoomsOptions = {}): AsyncGenerator<ListedRoom, void, undefined> {
  requireToken(context, 'listRooms');
  let from: string | undefined;
  do {
    const page = await listRoomsPage(context, from === undefined ? options : { ...options, from });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

const optionalString = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

const roomDetailsFields = {
  ...roomSummaryFields,
  avatar: optionalString,
  topic: optionalString,
  joined_local_devices: z.number().nullish(),
  forgotten: z.boolean().nullish(),
  tombstoned: z.boolean().nullish(),
  replacement_room: optionalString,
};

const roomDetailsSchema = z.looseObject(roomDetailsFields).transform((room) => ({
  ...roomSummary(room, Object.keys(roomDetailsFields)),
  avatar: room.avatar,
  topic: room.topic,
  joinedLocalDevices: room.joined_local_devices ?? 0,
  forgotten: room.forgotten ?? false,
  tombstoned: room.tombstoned ?? false,
  replacementRoom: room.replacement_room,
}));

export type RoomDetails = z.infer<typeof roomDetailsSchema>;

/** `GET /_synapse/admin/v1/rooms/<room_id>`: the room's details; `not_found` when the server does not know it. */
export function getRoom(context: ClientContext, roomId: string): Promise<RoomDetails> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}`,
    accessToken: requireToken(context, 'getRoom'),
    idempotency: 'idempotent',
    schema: roomDetailsSchema,
  });
}

const roomMembersSchema = z.looseObject({ members: z.array(z.string()), total: z.number() }).transform((body) => ({ members: body.members, total: body.total }));

/** `GET /_synapse/admin/v1/rooms/<room_id>/members`: the user ids joined to the room (local and remote). */
export function getRoomMembers(context: ClientContext, roomId: string): Promise<{ members: string[]; total: number }> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/members',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/members`,
    accessToken: requireToken(context, 'getRoomMembers'),
    idempotency: 'idempotent',
    schema: roomMembersSchema,
  });
}

const adminRoomEventFields = {
  event_id: z.string(),
  type: z.string(),
  sender: z.string(),
  origin_server_ts: z.number(),
  room_id: z.string().optional(),
  state_key: z.string().optional(),
  content: z.record(z.string(), z.unknown()),
  unsigned: z.record(z.string(), z.unknown()).optional(),
};

/** An event as the admin room calls serialise it (client format); `other` keeps the rest (`redacts`, ...). */
const adminRoomEventSchema = z.looseObject(adminRoomEventFields).transform((event) => ({
  eventId: event.event_id,
  type: event.type,
  sender: event.sender,
  originServerTsMs: event.origin_server_ts,
  roomId: event.room_id,
  stateKey: event.state_key,
  content: event.content,
  unsigned: event.unsigned ?? {},
  other: unknownFields(event, Object.keys(adminRoomEventFields)),
}));

export type AdminRoomEvent = z.infer<typeof adminRoomEventSchema>;

const roomStateSchema = z.looseObject({ state: z.array(adminRoomEventSchema) }).transform((body) => body.state);

/** `GET /_synapse/admin/v1/rooms/<room_id>/state`: the room's current state events, of one `type` if given. */
export function getRoomState(context: ClientContext, roomId: string, options: { type?: string } = {}): Promise<AdminRoomEvent[]> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/state',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/state`,
    query: { type: options.type },
    accessToken: requireToken(context, 'getRoomState'),
    idempotency: 'idempotent',
    schema: roomStateSchema,
  });
}

export interface RoomMessagesOptions {
  /** Page size (Synapse's default 10). */
  limit?: number;
  /** `f` oldest first (default) or `b` newest first. */
  dir?: 'f' | 'b';
  /** Stop at this pagination token. */
  to?: string;
  /** A Matrix `RoomEventFilter`, sent as JSON (`{ types: ['m.room.message'] }`). */
  filter?: Readonly<Record<string, unknown>>;
}

/** One page of a room's events: no total, Synapse does not count them. */
export interface RoomMessagesPage {
  readonly items: AdminRoomEvent[];
  /** Where the next page starts (`end`); `undefined` when there is none. */
  readonly nextToken: string | undefined;
  /** Where this page started (`start`). */
  readonly startToken: string;
  /** State events needed to display these events, when Synapse sends them (lazy-loaded members). */
  readonly state: AdminRoomEvent[];
}

const roomMessagesSchema = z
  .looseObject({ chunk: z.array(adminRoomEventSchema), start: z.string(), end: z.string().nullish(), state: z.array(adminRoomEventSchema).optional() })
  .transform((body) => ({ items: body.chunk, nextToken: body.end ?? undefined, startToken: body.start, state: body.state ?? [] }));

/**
 * `GET /_synapse/admin/v1/rooms/<room_id>/messages`: one page of the room's events, whatever the admin's
 * membership, from `from` (a `nextToken`; by default the start for `dir: 'f'`, the end for `dir: 'b'`).
 */
export function listRoomMessagesPage(context: ClientContext, roomId: string, options: RoomMessagesOptions & { from?: string } = {}): Promise<RoomMessagesPage> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/messages',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/messages`,
    query: {
      from: options.from,
      to: options.to,
      limit: options.limit,
      dir: options.dir,
      filter: options.filter === undefined ? undefined : JSON.stringify(options.filter),
    },
    accessToken: requireToken(context, 'listRoomMessagesPage'),
    idempotency: 'idempotent',
    schema: roomMessagesSchema,
  });
}

/** Every event of the room in `dir` order, one {@link listRoomMessagesPage} at a time, following `end`. */
export async function* listRoomMessages(context: ClientContext, roomId: string, options: RoomMessagesOptions = {}): AsyncGenerator<AdminRoomEvent, void, undefined> {
  requireToken(context, 'listRoomMessages');
  let from: string | undefined;
  for (;;) {
    const page = await listRoomMessagesPage(context, roomId, from === undefined ? options : { ...options, from });
    yield* page.items;
    // An empty chunk ends it too: Synapse can hand out an `end` token for a page with nothing in it.
    if (page.nextToken === undefined || page.items.length === 0) return;
    from = page.nextToken;
  }
}

const timestampToEventSchema = z
  .looseObject({ event_id: z.string(), origin_server_ts: z.number() })
  .transform((body) => ({ eventId: body.event_id, originServerTsMs: body.origin_server_ts }));

/**
 * `GET /_synapse/admin/v1/rooms/<room_id>/timestamp_to_event`: the event closest to `tsMs`, at or after it
 * (`dir: 'f'`, the default) or at or before it (`'b'`); `not_found` when there is none in that direction.
 */
export function timestampToEvent(context: ClientContext, roomId: string, tsMs: number, options: { dir?: 'f' | 'b' } = {}): Promise<{ eventId: string; originServerTsMs: number }> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/timestamp_to_event',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/timestamp_to_event`,
    query: { ts: tsMs, dir: options.dir },
    accessToken: requireToken(context, 'timestampToEvent'),
    idempotency: 'idempotent',
    schema: timestampToEventSchema,
  });
}

/** Whether a room is blocked, and by whom. */
export interface RoomBlockStatus {
  readonly blocked: boolean;
  /** The admin who blocked it, when blocked. */
  readonly blockedBy: string | undefined;
}

const blockStatusSchema = z
  .looseObject({ block: z.boolean(), user_id: z.string().nullish() })
  .transform((body): RoomBlockStatus => ({ blocked: body.block, blockedBy: body.user_id ?? undefined }));

/** `GET /_synapse/admin/v1/rooms/<room_id>/block`: works for rooms the server does not know too. */
export function getRoomBlockStatus(context: ClientContext, roomId: string): Promise<RoomBlockStatus> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/block',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/block`,
    accessToken: requireToken(context, 'getRoomBlockStatus'),
    idempotency: 'idempotent',
    schema: blockStatusSchema,
  });
}

/** `PUT /_synapse/admin/v1/rooms/<room_id>/block`: blocks (no local user can join it) or unblocks a room. */
export async function setRoomBlocked(context: ClientContext, roomId: string, blocked: boolean): Promise<{ blocked: boolean }> {
  const body = await context.transport.call({
    method: 'PUT',
    route: '/_synapse/admin/v1/rooms/{roomId}/block',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/block`,
    accessToken: requireToken(context, 'setRoomBlocked'),
    body: { block: blocked },
    idempotency: 'idempotent',
    schema: z.looseObject({ block: z.boolean() }),
  });
  return { blocked: body.block };
}

/**
 * `POST /_synapse/admin/v1/rooms/<room_id_or_alias>/make_room_admin`: gives `userId` (default: the calling admin)
 * the power level of the room's most powerful local member, inviting them to a non-public room they are not in.
 */
export async function makeRoomAdmin(context: ClientContext, roomIdOrAlias: string, options: { userId?: string } = {}): Promise<void> {
  await context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/rooms/{roomIdOrAlias}/make_room_admin',
    path: `/_synapse/admin/v1/rooms/${segment(roomIdOrAlias)}/make_room_admin`,
    accessToken: requireToken(context, 'makeRoomAdmin'),
    body: options.userId === undefined ? {} : { user_id: options.userId },
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

const forwardExtremityFields = { event_id: z.string(), state_group: z.number().nullish(), depth: z.number(), received_ts: z.number().nullish() };

const forwardExtremitiesSchema = z
  .looseObject({
    count: z.number(),
    results: z.array(
      z.looseObject(forwardExtremityFields).transform((ex) => ({
        eventId: ex.event_id,
        stateGroup: ex.state_group ?? undefined,
        depth: ex.depth,
        receivedAtMs: ex.received_ts ?? undefined,
        other: unknownFields(ex, Object.keys(forwardExtremityFields)),
      })),
    ),
  })
  .transform((body) => body.results);

export type ForwardExtremity = z.infer<typeof forwardExtremitiesSchema>[number];

/** `GET /_synapse/admin/v1/rooms/<room_id_or_alias>/forward_extremities`: the room's current forward extremities. */
export function getForwardExtremities(context: ClientContext, roomIdOrAlias: string): Promise<ForwardExtremity[]> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomIdOrAlias}/forward_extremities',
    path: `/_synapse/admin/v1/rooms/${segment(roomIdOrAlias)}/forward_extremities`,
    accessToken: requireToken(context, 'getForwardExtremities'),
    idempotency: 'idempotent',
    schema: forwardExtremitiesSchema,
  });
}

/**
 * `DELETE /_synapse/admin/v1/rooms/<room_id_or_alias>/forward_extremities`: drops the extremities Synapse can do
 * without (it keeps the latest), returning how many went.
 */
export async function deleteForwardExtremities(context: ClientContext, roomIdOrAlias: string): Promise<{ deleted: number }> {
  const body = await context.transport.call({
    method: 'DELETE',
    route: '/_synapse/admin/v1/rooms/{roomIdOrAlias}/forward_extremities',
    path: `/_synapse/admin/v1/rooms/${segment(roomIdOrAlias)}/forward_extremities`,
    accessToken: requireToken(context, 'deleteForwardExtremities'),
    idempotency: 'idempotent',
    schema: z.looseObject({ deleted: z.number() }),
  });
  return { deleted: body.deleted };
}

/** The events around one event. */
export interface EventContext {
  readonly event: AdminRoomEvent;
  /** Newest first, as Synapse sends them. */
  readonly eventsBefore: AdminRoomEvent[];
  /** Oldest first. */
  readonly eventsAfter: AdminRoomEvent[];
  /** The room state at the last event returned. */
  readonly state: AdminRoomEvent[];
  /** Pagination tokens for /messages, before the first and after the last event. */
  readonly start: string | undefined;
  readonly end: string | undefined;
}

const eventContextSchema = z
  .looseObject({
    event: adminRoomEventSchema,
    events_before: z.array(adminRoomEventSchema),
    events_after: z.array(adminRoomEventSchema),
    state: z.array(adminRoomEventSchema),
    start: z.string().nullish(),
    end: z.string().nullish(),
  })
  .transform(
    (body): EventContext => ({
      event: body.event,
      eventsBefore: body.events_before,
      eventsAfter: body.events_after,
      state: body.state,
      start: body.start ?? undefined,
      end: body.end ?? undefined,
    }),
  );

/**
 * `GET /_synapse/admin/v1/rooms/<room_id>/context/<event_id>`: the event with `limit` (default 10) events around it,
 * half before (rounded down) and the rest after, whatever the admin's membership; `not_found` for an unknown event.
 */
export function getEventContext(context: ClientContext, roomId: string, eventId: string, options: { limit?: number; filter?: Readonly<Record<string, unknown>> } = {}): Promise<EventContext> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/context/{eventId}',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/context/${segment(eventId)}`,
    query: { limit: options.limit, filter: options.filter === undefined ? undefined : JSON.stringify(options.filter) },
    accessToken: requireToken(context, 'getEventContext'),
    idempotency: 'idempotent',
    schema: eventContextSchema,
  });
}

const hierarchyRoomFields = {
  room_id: z.string(),
  name: z.string().nullish(),
  topic: z.string().nullish(),
  canonical_alias: z.string().nullish(),
  avatar_url: z.string().nullish(),
  num_joined_members: z.number().nullish(),
  join_rule: z.string().nullish(),
  world_readable: z.boolean().nullish(),
  guest_can_join: z.boolean().nullish(),
  room_type: z.string().nullish(),
  children_state: z.array(z.looseObject({ type: z.string(), state_key: z.string(), sender: z.string().optional(), content: z.record(z.string(), z.unknown()) })).optional(),
};

const hierarchyRoomSchema = z.looseObject(hierarchyRoomFields).transform((room) => ({
  roomId: room.room_id,
  name: room.name ?? undefined,
  topic: room.topic ?? undefined,
  canonicalAlias: room.canonical_alias ?? undefined,
  avatarUrl: room.avatar_url ?? undefined,
  joinedMembers: room.num_joined_members ?? 0,
  joinRule: room.join_rule ?? undefined,
  worldReadable: room.world_readable ?? false,
  guestCanJoin: room.guest_can_join ?? false,
  roomType: room.room_type ?? undefined,
  /** The space's `m.space.child` events (stripped: type, state key, sender, content). */
  childrenState: (room.children_state ?? []).map((child) => ({ type: child.type, stateKey: child.state_key, sender: child.sender, content: child.content })),
  other: unknownFields(room, Object.keys(hierarchyRoomFields)),
}));

export type HierarchyRoom = z.infer<typeof hierarchyRoomSchema>;

/** One page of a space's hierarchy: no total, Synapse does not count it. */
export interface RoomHierarchyPage {
  readonly items: HierarchyRoom[];
  readonly nextToken: string | undefined;
}

export interface RoomHierarchyOptions {
  /** How deep to walk into sub-spaces. */
  maxDepth?: number;
  /** Rooms per page. */
  limit?: number;
}

const hierarchyPageSchema = z
  .looseObject({ rooms: z.array(hierarchyRoomSchema), next_batch: z.string().nullish() })
  .transform((body): RoomHierarchyPage => ({ items: body.rooms, nextToken: body.next_batch ?? undefined }));

/**
 * `GET /_synapse/admin/v1/rooms/<room_id>/hierarchy`: one page of the room (first) and its space children, depth
 * first, whatever their visibility; rooms this server is not in are left out (no federation requests).
 */
export function listRoomHierarchyPage(context: ClientContext, roomId: string, options: RoomHierarchyOptions & { from?: string } = {}): Promise<RoomHierarchyPage> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/rooms/{roomId}/hierarchy',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}/hierarchy`,
    query: { max_depth: options.maxDepth, limit: options.limit, from: options.from },
    accessToken: requireToken(context, 'listRoomHierarchyPage'),
    idempotency: 'idempotent',
    schema: hierarchyPageSchema,
  });
}

/** The whole hierarchy, one {@link listRoomHierarchyPage} at a time, following `next_batch`. */
export async function* listRoomHierarchy(context: ClientContext, roomId: string, options: RoomHierarchyOptions = {}): AsyncGenerator<HierarchyRoom, void, undefined> {
  requireToken(context, 'listRoomHierarchy');
  let from: string | undefined;
  do {
    const page = await listRoomHierarchyPage(context, roomId, from === undefined ? options : { ...options, from });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

export interface DeleteRoomOptions {
  /** Remove the room from the database (default true). */
  purge?: boolean;
  /** Prevent anyone joining it again. */
  block?: boolean;
  /** Purge even if local users could not be kicked. */
  forcePurge?: boolean;
  /** Move local users to a new room created by this user, with `message`. */
  newRoomUserId?: string;
  roomName?: string;
  message?: string;
}

/** `DELETE /_synapse/admin/v2/rooms/<id>`: starts a background delete and returns its id. */
export function deleteRoom(context: ClientContext, roomId: string, options: DeleteRoomOptions = {}): Promise<{ deleteId: string }> {
  return context.transport.call({
    method: 'DELETE',
    route: '/_synapse/admin/v2/rooms/{roomId}',
    path: `/_synapse/admin/v2/rooms/${segment(roomId)}`,
    accessToken: requireToken(context, 'deleteRoom'),
    body: deleteRoomBody(options),
    idempotency: 'rate-limit-only',
    schema: deleteIdSchema,
  });
}

function deleteRoomBody(options: DeleteRoomOptions): Record<string, unknown> {
  return {
    ...(options.purge === undefined ? {} : { purge: options.purge }),
    ...(options.block === undefined ? {} : { block: options.block }),
    ...(options.forcePurge === undefined ? {} : { force_purge: options.forcePurge }),
    ...(options.newRoomUserId === undefined ? {} : { new_room_user_id: options.newRoomUserId }),
    ...(options.roomName === undefined ? {} : { room_name: options.roomName }),
    ...(options.message === undefined ? {} : { message: options.message }),
  };
}

/**
 * `DELETE /_synapse/admin/v1/rooms/<id>`: Synapse's older delete, done before it answers (which can take minutes
 * for a big room: prefer {@link deleteRoom}). Returns what the shutdown did.
 */
export function deleteRoomV1(context: ClientContext, roomId: string, options: DeleteRoomOptions = {}): Promise<RoomShutdownResult> {
  return context.transport.call({
    method: 'DELETE',
    route: '/_synapse/admin/v1/rooms/{roomId}',
    path: `/_synapse/admin/v1/rooms/${segment(roomId)}`,
    accessToken: requireToken(context, 'deleteRoomV1'),
    body: deleteRoomBody(options),
    idempotency: 'rate-limit-only',
    schema: shutdownResultSchema,
  });
}

const deleteStatusesSchema = z.looseObject({ results: z.array(deleteStatusSchema) }).transform((body) => body.results);

/**
 * `GET /_synapse/admin/v2/rooms/<room_id>/delete_status`: every delete task Synapse still remembers for the room
 * (it forgets finished ones after a while); an empty list when there is none.
 */
export async function roomDeleteStatuses(context: ClientContext, roomId: string): Promise<RoomDeleteStatus[]> {
  const accessToken = requireToken(context, 'roomDeleteStatuses');
  try {
    return await context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v2/rooms/{roomId}/delete_status',
      path: `/_synapse/admin/v2/rooms/${segment(roomId)}/delete_status`,
      accessToken,
      idempotency: 'idempotent',
      schema: deleteStatusesSchema,
    });
  } catch (error) {
    // Synapse answers M_NOT_FOUND when it has no task for the room, which here is simply none.
    if (error instanceof SynapseApiError && error.code === 'not_found') return [];
    throw error;
  }
}

/** `GET /_synapse/admin/v2/rooms/delete_status/<delete_id>`. */
export function roomDeleteStatus(context: ClientContext, deleteId: string): Promise<RoomDeleteStatus> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v2/rooms/delete_status/{deleteId}',
    path: `/_synapse/admin/v2/rooms/delete_status/${segment(deleteId)}`,
    accessToken: requireToken(context, 'roomDeleteStatus'),
    idempotency: 'idempotent',
    schema: deleteStatusSchema,
  });
}

export type WaitForRoomDeletionOptions = WaitOptions;

/**
 * Polls the delete status until it is `complete` (returned) or `failed` (`room_delete_failed`), or the deadline
 * passes (`room_delete_timeout`).
 */
export function waitForRoomDeletion(context: ClientContext, deleteId: string, options: WaitForRoomDeletionOptions = {}): Promise<RoomDeleteStatus> {
  return backgroundTask({
    id: deleteId,
    what: 'Room delete',
    statusPath: `/_synapse/admin/v2/rooms/delete_status/${segment(deleteId)}`,
    fetch: () => roomDeleteStatus(context, deleteId),
    state: (status) => (status.status === 'complete' ? { kind: 'done' } : status.status === 'failed' ? { kind: 'failed', error: status.error } : { kind: 'running', name: status.status }),
    failedCode: 'room_delete_failed',
    timeoutCode: 'room_delete_timeout',
    onFailure: ['Check the Synapse logs; retry with forcePurge if local users could not be kicked.'],
  }).wait(options);
}

/** `POST /_synapse/admin/v1/join/<room>`: joins a local user to a room the server is in (room id or alias). */
export function joinUserToRoom(context: ClientContext, roomIdOrAlias: string, userId: string): Promise<{ roomId: string }> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/join/{roomIdOrAlias}',
    path: `/_synapse/admin/v1/join/${segment(roomIdOrAlias)}`,
    accessToken: requireToken(context, 'joinUserToRoom'),
    body: { user_id: userId },
    idempotency: 'idempotent',
    schema: roomIdSchema,
  });
}

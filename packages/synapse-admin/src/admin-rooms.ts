import type { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { deleteIdSchema, deleteStatusSchema, roomIdSchema, roomPageSchema } from './schemas.ts';
import { backgroundTask, type WaitOptions } from './background-task.ts';

export type ListedRoom = z.infer<typeof roomPageSchema>['rooms'][number];
export type RoomDeleteStatus = z.infer<typeof deleteStatusSchema>;

export interface ListRoomsOptions {
  /** Page size (Synapse's default 100). */
  limit?: number;
  /** Filter on room name, canonical alias or room id. */
  searchTerm?: string;
  orderBy?: 'name' | 'canonical_alias' | 'joined_members' | 'joined_local_members' | 'version' | 'creator' | 'encryption' | 'federatable' | 'public' | 'join_rules' | 'guest_access' | 'history_visibility' | 'state_events';
  dir?: 'f' | 'b';
}

/** Every room, one `GET /_synapse/admin/v1/rooms` page at a time, following `next_batch`. */
export async function* listRooms(context: ClientContext, options: ListRoomsOptions = {}): AsyncGenerator<ListedRoom, void, undefined> {
  const accessToken = requireToken(context, 'listRooms');
  let from: string | number | undefined;
  do {
    const page = await context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v1/rooms',
      path: '/_synapse/admin/v1/rooms',
      query: { from, limit: options.limit, search_term: options.searchTerm, order_by: options.orderBy, dir: options.dir },
      accessToken,
      idempotency: 'idempotent',
      schema: roomPageSchema,
    });
    yield* page.rooms;
    from = page.next_batch ?? undefined;
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
    body: {
      ...(options.purge === undefined ? {} : { purge: options.purge }),
      ...(options.block === undefined ? {} : { block: options.block }),
      ...(options.forcePurge === undefined ? {} : { force_purge: options.forcePurge }),
      ...(options.newRoomUserId === undefined ? {} : { new_room_user_id: options.newRoomUserId }),
      ...(options.roomName === undefined ? {} : { room_name: options.roomName }),
      ...(options.message === undefined ? {} : { message: options.message }),
    },
    idempotency: 'rate-limit-only',
    schema: deleteIdSchema,
  });
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

import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { eventIdSchema, messagesSchema, roomIdSchema } from './schemas.ts';

export type RoomEvent = z.infer<typeof messagesSchema>['chunk'][number];

export interface CreateRoomOptions {
  name?: string;
  topic?: string;
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  visibility?: 'public' | 'private';
  invite?: readonly string[];
  roomAliasName?: string;
  isDirect?: boolean;
}

/** `POST /_matrix/client/v3/createRoom` (a 429 is retried: the server created nothing). */
export function createRoom(context: ClientContext, options: CreateRoomOptions = {}): Promise<{ roomId: string }> {
  return context.transport.call({
    method: 'POST',
    route: '/_matrix/client/v3/createRoom',
    path: '/_matrix/client/v3/createRoom',
    accessToken: requireToken(context, 'createRoom'),
    body: {
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.topic === undefined ? {} : { topic: options.topic }),
      ...(options.preset === undefined ? {} : { preset: options.preset }),
      ...(options.visibility === undefined ? {} : { visibility: options.visibility }),
      ...(options.invite === undefined ? {} : { invite: options.invite }),
      ...(options.roomAliasName === undefined ? {} : { room_alias_name: options.roomAliasName }),
      ...(options.isDirect === undefined ? {} : { is_direct: options.isDirect }),
    },
    idempotency: 'rate-limit-only',
    schema: roomIdSchema,
  });
}

/**
 * Joins a room (accepting an invite) as the client's user. Joining twice is harmless, so it is retried like a read.
 *
 * @example
 * ```ts
 * await joinRoom(context, '!room:example.org');
 * ```
 */
export function joinRoom(context: ClientContext, roomIdOrAlias: string): Promise<{ roomId: string }> {
  return context.transport.call({
    method: 'POST',
    route: '/_matrix/client/v3/join/{roomIdOrAlias}',
    path: `/_matrix/client/v3/join/${segment(roomIdOrAlias)}`,
    accessToken: requireToken(context, 'join'),
    body: {},
    idempotency: 'idempotent',
    schema: roomIdSchema,
  });
}

export interface SendTextOptions {
  /** Transaction id; the same id sends the message at most once (default: a random UUID). */
  txnId?: string;
  /** Default `m.text`. */
  msgtype?: 'm.text' | 'm.notice' | 'm.emote';
}

/**
 * `PUT /_matrix/client/v3/rooms/<id>/send/m.room.message/<txnId>`: idempotent per token and transaction id, so
 * 429s, 5xx and dropped connections are retried safely.
 */
export async function sendText(
  context: ClientContext,
  roomId: string,
  text: string,
  options: SendTextOptions = {},
): Promise<{ eventId: string; txnId: string }> {
  const txnId = options.txnId ?? randomUUID();
  const { eventId } = await context.transport.call({
    method: 'PUT',
    route: '/_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}',
    path: `/_matrix/client/v3/rooms/${segment(roomId)}/send/m.room.message/${segment(txnId)}`,
    accessToken: requireToken(context, 'sendText'),
    body: { msgtype: options.msgtype ?? 'm.text', body: text },
    idempotency: 'idempotent',
    schema: eventIdSchema,
  });
  return { eventId, txnId };
}

/** `GET /_matrix/client/v3/rooms/<id>/messages?dir=b&limit=`: the most recent events, newest first. */
export async function recentMessages(context: ClientContext, roomId: string, options: { limit?: number } = {}): Promise<RoomEvent[]> {
  const page = await context.transport.call({
    method: 'GET',
    route: '/_matrix/client/v3/rooms/{roomId}/messages',
    path: `/_matrix/client/v3/rooms/${segment(roomId)}/messages`,
    query: { dir: 'b', limit: options.limit ?? 20 },
    accessToken: requireToken(context, 'recentMessages'),
    idempotency: 'idempotent',
    schema: messagesSchema,
  });
  return page.chunk;
}

import { z } from 'zod';
import { requireToken, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// Server statistics (docs/admin_api/statistics.md): media usage per local user, and the rooms taking the most
// database space (PostgreSQL only).

const USAGE_FIELDS = { user_id: z.string(), displayname: z.string().nullish(), media_count: z.number(), media_length: z.number() };

const usagePageSchema = z
  .looseObject({ users: z.array(z.looseObject(USAGE_FIELDS)), total: z.number(), next_token: z.union([z.number(), z.string()]).nullish() })
  .transform((body) => ({
    items: body.users.map((user) => ({
      userId: user.user_id,
      displayName: user.displayname ?? undefined,
      /** How many files the user uploaded (in the time window asked for). */
      mediaCount: user.media_count,
      /** Their size in bytes. */
      mediaLength: user.media_length,
      other: unknownFields(user, Object.keys(USAGE_FIELDS)),
    })),
    /** Where the next page starts; `undefined` on the last page. */
    nextToken: body.next_token === undefined || body.next_token === null ? undefined : Number(body.next_token),
    total: body.total,
  }));

export type UserMediaUsagePage = z.infer<typeof usagePageSchema>;
export type UserMediaUsage = UserMediaUsagePage['items'][number];

export interface UserMediaUsageOptions {
  /** Page size (Synapse's default 100). */
  limit?: number;
  orderBy?: 'user_id' | 'displayname' | 'media_length' | 'media_count';
  dir?: 'f' | 'b';
  /** Count only media uploaded at or after this time (ms since the epoch). */
  fromMs?: number;
  /** Count only media uploaded before this time (ms since the epoch; after `fromMs`). */
  untilMs?: number;
  /** Only users whose id or display name contains this (not empty). */
  searchTerm?: string;
}

/** `GET /_synapse/admin/v1/statistics/users/media`: one page, from offset `from` (default 0). */
export function listUserMediaUsagePage(context: ClientContext, options: UserMediaUsageOptions & { from?: number } = {}): Promise<UserMediaUsagePage> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/statistics/users/media',
    path: '/_synapse/admin/v1/statistics/users/media',
    query: {
      from: options.from,
      limit: options.limit,
      order_by: options.orderBy,
      dir: options.dir,
      from_ts: options.fromMs,
      until_ts: options.untilMs,
      search_term: options.searchTerm,
    },
    accessToken: requireToken(context, 'listUserMediaUsage'),
    idempotency: 'idempotent',
    schema: usagePageSchema,
  });
}

/** Every user with uploads, page by page, following `next_token`. */
export async function* listUserMediaUsage(context: ClientContext, options: UserMediaUsageOptions = {}): AsyncGenerator<UserMediaUsage, void, undefined> {
  let from: number | undefined;
  do {
    const page = await listUserMediaUsagePage(context, from === undefined ? options : { ...options, from });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

const ROOM_SIZE_FIELDS = { room_id: z.string(), estimated_size: z.number() };

const roomSizesSchema = z.looseObject({ rooms: z.array(z.looseObject(ROOM_SIZE_FIELDS)) }).transform((body) =>
  body.rooms.map((room) => ({
    roomId: room.room_id,
    /** A rough estimate from PostgreSQL's statistics, in bytes. */
    estimatedSize: room.estimated_size,
    other: unknownFields(room, Object.keys(ROOM_SIZE_FIELDS)),
  })),
);

export type RoomDatabaseSize = z.infer<typeof roomSizesSchema>[number];

/** `GET /_synapse/admin/v1/statistics/database/rooms`: the (at most 10) largest rooms; `postgres_required` on SQLite. */
export function databaseRoomSizes(context: ClientContext): Promise<RoomDatabaseSize[]> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/statistics/database/rooms',
    path: '/_synapse/admin/v1/statistics/database/rooms',
    accessToken: requireToken(context, 'databaseRoomSizes'),
    idempotency: 'idempotent',
    schema: roomSizesSchema,
  });
}

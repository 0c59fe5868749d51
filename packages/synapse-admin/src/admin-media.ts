import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { emptySchema } from './schemas.ts';
import { unknownFields } from './unknown-fields.ts';

// The media admin API (docs/admin_api/media_admin_api.md): one item's details, a room's media, quarantine and
// protection, deletion of local media, and purging the cache of remote media. The per-user media list and delete
// belong to the users area.

/** Synapse on SQLite answers these flags as 0/1, on Postgres as booleans. */
const flag = z.union([z.boolean(), z.number()]).transform((value) => value === true || value === 1);

const MEDIA_INFO_FIELDS = {
  media_origin: z.string().nullish(),
  user_id: z.string().nullish(),
  media_id: z.string(),
  media_type: z.string(),
  media_length: z.number(),
  upload_name: z.string().nullish(),
  created_ts: z.number(),
  filesystem_id: z.string().nullish(),
  url_cache: z.string().nullish(),
  last_access_ts: z.number().nullish(),
  quarantined_by: z.string().nullish(),
  authenticated: flag.nullish(),
  safe_from_quarantine: flag.nullish(),
  sha256: z.string().nullish(),
};

const mediaInfoSchema = z
  .object({ media_info: z.looseObject(MEDIA_INFO_FIELDS) })
  .transform(({ media_info: info }) => ({
    /** The server the media came from; `undefined` for local media. */
    origin: info.media_origin ?? undefined,
    /** Who uploaded it (local media only). */
    userId: info.user_id ?? undefined,
    mediaId: info.media_id,
    mediaType: info.media_type,
    /** Size in bytes. */
    mediaLength: info.media_length,
    uploadName: info.upload_name ?? undefined,
    createdMs: info.created_ts,
    /** Where a cached remote file lives in the media store (remote media only). */
    filesystemId: info.filesystem_id ?? undefined,
    /** The URL a URL-preview cache entry was made from (local media only). */
    urlCache: info.url_cache ?? undefined,
    lastAccessMs: info.last_access_ts ?? undefined,
    /** The admin who quarantined it, when it is quarantined. */
    quarantinedBy: info.quarantined_by ?? undefined,
    /** Whether it can only be downloaded with an access token (authenticated media, MSC3916). */
    authenticated: info.authenticated ?? undefined,
    /** Protected from quarantine (local media only). */
    safeFromQuarantine: info.safe_from_quarantine ?? undefined,
    sha256: info.sha256 ?? undefined,
    other: unknownFields(info, Object.keys(MEDIA_INFO_FIELDS)),
  }));

export type MediaInfo = z.infer<typeof mediaInfoSchema>;

const ROOM_MEDIA_FIELDS = { local: z.array(z.string()), remote: z.array(z.string()) };

const roomMediaSchema = z.looseObject(ROOM_MEDIA_FIELDS).transform((body) => ({
  local: body.local,
  remote: body.remote,
  other: unknownFields(body, Object.keys(ROOM_MEDIA_FIELDS)),
}));

/** The `mxc://` URIs of the media a room's events refer to, split by where the media lives. */
export type RoomMedia = z.infer<typeof roomMediaSchema>;

const quarantinedCountSchema = z.looseObject({ num_quarantined: z.number() }).transform((body) => ({ quarantined: body.num_quarantined }));

const DELETED_MEDIA_FIELDS = { deleted_media: z.array(z.string()), total: z.number() };

const deletedMediaSchema = z.looseObject(DELETED_MEDIA_FIELDS).transform((body) => ({
  /** Ids of the media removed (without the server name). */
  deletedMedia: body.deleted_media,
  total: body.total,
  other: unknownFields(body, Object.keys(DELETED_MEDIA_FIELDS)),
}));

export type DeletedMedia = z.infer<typeof deletedMediaSchema>;

const purgedCacheSchema = z.looseObject({ deleted: z.number() }).transform((body) => ({ deleted: body.deleted, other: unknownFields(body, ['deleted']) }));

export type PurgedRemoteMedia = z.infer<typeof purgedCacheSchema>;

const QUARANTINE_CHANGE_FIELDS = { origin: z.string(), media_id: z.string(), quarantined: flag };

const quarantineChangesSchema = z
  .looseObject({ next_batch: z.number(), changes: z.array(z.looseObject(QUARANTINE_CHANGE_FIELDS)) })
  .transform((body) => ({
    items: body.changes.map((change) => ({
      origin: change.origin,
      mediaId: change.media_id,
      quarantined: change.quarantined,
      other: unknownFields(change, Object.keys(QUARANTINE_CHANGE_FIELDS)),
    })),
    nextToken: body.next_batch,
    total: undefined,
  }));

/** One page of quarantine changes: `nextToken` is always set (the stream position to read on from, later too). */
export type QuarantineChangesPage = z.infer<typeof quarantineChangesSchema>;
export type QuarantineChange = QuarantineChangesPage['items'][number];

/** `GET /_synapse/admin/v1/media/<server>/<media_id>`: a local or cached remote item; `not_found` if there is none. */
export function getMedia(context: ClientContext, serverName: string, mediaId: string): Promise<MediaInfo> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/media/{serverName}/{mediaId}',
    path: `/_synapse/admin/v1/media/${segment(serverName)}/${segment(mediaId)}`,
    accessToken: requireToken(context, 'getMedia'),
    idempotency: 'idempotent',
    schema: mediaInfoSchema,
  });
}

/** `GET /_synapse/admin/v1/room/<room_id>/media`: every `mxc://` URI the room's events refer to (empty for an unknown room). */
export function listRoomMedia(context: ClientContext, roomId: string): Promise<RoomMedia> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/room/{roomId}/media',
    path: `/_synapse/admin/v1/room/${segment(roomId)}/media`,
    accessToken: requireToken(context, 'listRoomMedia'),
    idempotency: 'idempotent',
    schema: roomMediaSchema,
  });
}

async function postMediaAction(context: ClientContext, what: string, route: string, path: string): Promise<void> {
  await context.transport.call({ method: 'POST', route, path, accessToken: requireToken(context, what), idempotency: 'idempotent', schema: emptySchema });
}

/** `POST /_synapse/admin/v1/media/quarantine/<server>/<media_id>`: nobody can download it through this server any more. */
export function quarantineMedia(context: ClientContext, serverName: string, mediaId: string): Promise<void> {
  return postMediaAction(
    context,
    'quarantineMedia',
    '/_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}',
    `/_synapse/admin/v1/media/quarantine/${segment(serverName)}/${segment(mediaId)}`,
  );
}

/** `POST /_synapse/admin/v1/media/unquarantine/<server>/<media_id>`. */
export function unquarantineMedia(context: ClientContext, serverName: string, mediaId: string): Promise<void> {
  return postMediaAction(
    context,
    'unquarantineMedia',
    '/_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId}',
    `/_synapse/admin/v1/media/unquarantine/${segment(serverName)}/${segment(mediaId)}`,
  );
}

/** `POST /_synapse/admin/v1/room/<room_id>/media/quarantine`: quarantines the media the room's events refer to (protected media excepted). */
export function quarantineRoomMedia(context: ClientContext, roomId: string): Promise<{ quarantined: number }> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/room/{roomId}/media/quarantine',
    path: `/_synapse/admin/v1/room/${segment(roomId)}/media/quarantine`,
    accessToken: requireToken(context, 'quarantineRoomMedia'),
    idempotency: 'idempotent',
    schema: quarantinedCountSchema,
  });
}

/** `POST /_synapse/admin/v1/user/<user_id>/media/quarantine`: quarantines every local upload of the user (protected media excepted). */
export function quarantineUserMedia(context: ClientContext, userId: string): Promise<{ quarantined: number }> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/user/{userId}/media/quarantine',
    path: `/_synapse/admin/v1/user/${segment(userId)}/media/quarantine`,
    accessToken: requireToken(context, 'quarantineUserMedia'),
    idempotency: 'idempotent',
    schema: quarantinedCountSchema,
  });
}

/** `GET /_synapse/admin/v1/media/quarantine_changes?from=`: up to 100 changes after stream position `from` (default 0). */
export function listQuarantineChangesPage(context: ClientContext, options: { from?: number } = {}): Promise<QuarantineChangesPage> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/media/quarantine_changes',
    path: '/_synapse/admin/v1/media/quarantine_changes',
    query: { from: options.from },
    accessToken: requireToken(context, 'listQuarantineChanges'),
    idempotency: 'idempotent',
    schema: quarantineChangesSchema,
  });
}

/** Every quarantine change after `from`, page by page, until a page comes back empty. */
export async function* listQuarantineChanges(context: ClientContext, options: { from?: number } = {}): AsyncGenerator<QuarantineChange, void, undefined> {
  let from = options.from;
  for (;;) {
    const page = await listQuarantineChangesPage(context, from === undefined ? {} : { from });
    if (page.items.length === 0) return;
    yield* page.items;
    from = page.nextToken;
  }
}

/** `POST /_synapse/admin/v1/media/protect/<media_id>`: local media that quarantining skips. */
export function protectMedia(context: ClientContext, mediaId: string): Promise<void> {
  return postMediaAction(context, 'protectMedia', '/_synapse/admin/v1/media/protect/{mediaId}', `/_synapse/admin/v1/media/protect/${segment(mediaId)}`);
}

/** `POST /_synapse/admin/v1/media/unprotect/<media_id>`. */
export function unprotectMedia(context: ClientContext, mediaId: string): Promise<void> {
  return postMediaAction(context, 'unprotectMedia', '/_synapse/admin/v1/media/unprotect/{mediaId}', `/_synapse/admin/v1/media/unprotect/${segment(mediaId)}`);
}

/** `DELETE /_synapse/admin/v1/media/<server>/<media_id>`: removes one local item (file, thumbnails, record); `not_found` if unknown. */
export function deleteMedia(context: ClientContext, serverName: string, mediaId: string): Promise<DeletedMedia> {
  return context.transport.call({
    method: 'DELETE',
    route: '/_synapse/admin/v1/media/{serverName}/{mediaId}',
    path: `/_synapse/admin/v1/media/${segment(serverName)}/${segment(mediaId)}`,
    accessToken: requireToken(context, 'deleteMedia'),
    idempotency: 'idempotent',
    schema: deletedMediaSchema,
  });
}

export interface DeleteMediaBeforeOptions {
  /** Delete media last accessed (or, never accessed, created) before this time, in ms since the epoch. */
  beforeMs: number;
  /** Only media larger than this many bytes (default 0: any size). */
  sizeGt?: number;
  /** Keep media still used as a user or room avatar (Synapse's default true). */
  keepProfiles?: boolean;
}

/**
 * `POST /_synapse/admin/v1/media/delete`: deletes local media (and local copies of remote media) by age and size, at
 * once; quarantined and protected media are kept. Synapse answers when it is done, with the ids it removed.
 */
export function deleteMediaBefore(context: ClientContext, options: DeleteMediaBeforeOptions): Promise<DeletedMedia> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/media/delete',
    path: '/_synapse/admin/v1/media/delete',
    query: { before_ts: options.beforeMs, size_gt: options.sizeGt, keep_profiles: options.keepProfiles },
    accessToken: requireToken(context, 'deleteMediaBefore'),
    idempotency: 'idempotent',
    schema: deletedMediaSchema,
  });
}

/** `POST /_synapse/admin/v1/purge_media_cache`: drops cached copies of remote media last accessed before `beforeMs`. */
export function purgeRemoteMediaCache(context: ClientContext, options: { beforeMs: number }): Promise<PurgedRemoteMedia> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/purge_media_cache',
    path: '/_synapse/admin/v1/purge_media_cache',
    query: { before_ts: options.beforeMs },
    accessToken: requireToken(context, 'purgeRemoteMediaCache'),
    idempotency: 'idempotent',
    schema: purgedCacheSchema,
  });
}

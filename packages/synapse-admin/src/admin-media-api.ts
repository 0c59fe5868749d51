import {
  deleteMedia,
  deleteMediaBefore,
  getMedia,
  listQuarantineChanges,
  listQuarantineChangesPage,
  listRoomMedia,
  protectMedia,
  purgeRemoteMediaCache,
  quarantineMedia,
  quarantineRoomMedia,
  quarantineUserMedia,
  unprotectMedia,
  unquarantineMedia,
  type DeletedMedia,
  type DeleteMediaBeforeOptions,
  type MediaInfo,
  type PurgedRemoteMedia,
  type QuarantineChange,
  type QuarantineChangesPage,
  type RoomMedia,
} from './admin-media.ts';
import type { ClientContext } from './client-context.ts';

/**
 * The media admin API. Reached as `client.admin.media`; media is named by its server name and media id (the two
 * halves of `mxc://<serverName>/<mediaId>`, as `client.media.upload` returns them).
 *
 * @example
 * ```ts
 * const { serverName, mediaId } = await client.media.upload(new TextEncoder().encode('hi'), { contentType: 'text/plain' });
 * await client.admin.media.quarantineMedia(serverName, mediaId);
 * ```
 */
export class SynapseMediaAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * One local or cached remote media item's details; `not_found` when the server has no such item.
   *
   * @example
   * ```ts
   * const info = await client.admin.media.getMedia('example.org', 'abcDEF');
   * console.log(info.mediaType, info.mediaLength, info.quarantinedBy);
   * ```
   */
  getMedia(serverName: string, mediaId: string): Promise<MediaInfo> {
    return getMedia(this.#context, serverName, mediaId);
  }

  /**
   * The `mxc://` URIs a room's events refer to, local and remote.
   *
   * @example
   * ```ts
   * const { local, remote } = await client.admin.media.listRoomMedia('!ops:example.org');
   * ```
   */
  listRoomMedia(roomId: string): Promise<RoomMedia> {
    return listRoomMedia(this.#context, roomId);
  }

  /**
   * Quarantines one item: this server no longer serves it.
   *
   * @example
   * ```ts
   * await client.admin.media.quarantineMedia('example.org', 'abcDEF');
   * ```
   */
  quarantineMedia(serverName: string, mediaId: string): Promise<void> {
    return quarantineMedia(this.#context, serverName, mediaId);
  }

  /**
   * Lifts the quarantine of one item.
   *
   * @example
   * ```ts
   * await client.admin.media.unquarantineMedia('example.org', 'abcDEF');
   * ```
   */
  unquarantineMedia(serverName: string, mediaId: string): Promise<void> {
    return unquarantineMedia(this.#context, serverName, mediaId);
  }

  /**
   * Quarantines the media a room's events refer to (protected media excepted) and says how many items it marked.
   *
   * @example
   * ```ts
   * const { quarantined } = await client.admin.media.quarantineRoomMedia('!spam:example.org');
   * ```
   */
  quarantineRoomMedia(roomId: string): Promise<{ quarantined: number }> {
    return quarantineRoomMedia(this.#context, roomId);
  }

  /**
   * Quarantines every local upload of a user (protected media excepted).
   *
   * @example
   * ```ts
   * const { quarantined } = await client.admin.media.quarantineUserMedia('@spammer:example.org');
   * ```
   */
  quarantineUserMedia(userId: string): Promise<{ quarantined: number }> {
    return quarantineUserMedia(this.#context, userId);
  }

  /**
   * One page (up to 100) of quarantine changes after stream position `from`; resume later from `nextToken`.
   *
   * @example
   * ```ts
   * const { items, nextToken } = await client.admin.media.listQuarantineChangesPage({ from: 0 });
   * ```
   */
  listQuarantineChangesPage(options: { from?: number } = {}): Promise<QuarantineChangesPage> {
    return listQuarantineChangesPage(this.#context, options);
  }

  /**
   * Every quarantine and unquarantine after `from`, oldest first, until none is left.
   *
   * @example
   * ```ts
   * for await (const change of client.admin.media.listQuarantineChanges()) console.log(change.origin, change.mediaId, change.quarantined);
   * ```
   */
  listQuarantineChanges(options: { from?: number } = {}): AsyncGenerator<QuarantineChange, void, undefined> {
    return listQuarantineChanges(this.#context, options);
  }

  /**
   * Protects a local item from quarantine (and from deletion by date).
   *
   * @example
   * ```ts
   * await client.admin.media.protectMedia('abcDEF');
   * ```
   */
  protectMedia(mediaId: string): Promise<void> {
    return protectMedia(this.#context, mediaId);
  }

  /**
   * Removes the protection of a local item.
   *
   * @example
   * ```ts
   * await client.admin.media.unprotectMedia('abcDEF');
   * ```
   */
  unprotectMedia(mediaId: string): Promise<void> {
    return unprotectMedia(this.#context, mediaId);
  }

  /**
   * Deletes one local item (file, thumbnails, record); `not_found` when unknown.
   *
   * @example
   * ```ts
   * const { deletedMedia, total } = await client.admin.media.deleteMedia('example.org', 'abcDEF');
   * ```
   */
  deleteMedia(serverName: string, mediaId: string): Promise<DeletedMedia> {
    return deleteMedia(this.#context, serverName, mediaId);
  }

  /**
   * Deletes local media last used before `beforeMs` (and larger than `sizeGt` bytes), keeping quarantined and
   * protected media and, by default, avatars. Synapse answers once done, with the ids it removed.
   *
   * @example
   * ```ts
   * const { total } = await client.admin.media.deleteMediaBefore({ beforeMs: Date.now() - 90 * 86_400_000, sizeGt: 10_000_000 });
   * ```
   */
  deleteMediaBefore(options: DeleteMediaBeforeOptions): Promise<DeletedMedia> {
    return deleteMediaBefore(this.#context, options);
  }

  /**
   * Drops the cached copies of remote media last accessed before `beforeMs` (they are fetched again when needed).
   *
   * @example
   * ```ts
   * const { deleted } = await client.admin.media.purgeRemoteMediaCache({ beforeMs: Date.now() - 30 * 86_400_000 });
   * ```
   */
  purgeRemoteMediaCache(options: { beforeMs: number }): Promise<PurgedRemoteMedia> {
    return purgeRemoteMediaCache(this.#context, options);
  }
}

import type { ClientContext } from './client-context.ts';
import { uploadMedia, type UploadedMedia, type UploadMediaOptions } from './client-media.ts';

/**
 * Media calls as the client's own user. Reached as `client.media`.
 *
 * @example
 * ```ts
 * const { contentUri } = await client.media.upload(new TextEncoder().encode('hello'), { contentType: 'text/plain' });
 * ```
 */
export class SynapseMediaApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Uploads a file and returns its `mxc://` URI, split into server name and media id.
   *
   * @example
   * ```ts
   * const { serverName, mediaId } = await client.media.upload(new Uint8Array([1, 2, 3]), { contentType: 'image/png', filename: 'a.png' });
   * ```
   */
  upload(bytes: Uint8Array, options: UploadMediaOptions = {}): Promise<UploadedMedia> {
    return uploadMedia(this.#context, bytes, options);
  }
}

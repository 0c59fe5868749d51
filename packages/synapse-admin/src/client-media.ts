import { z } from 'zod';
import { requireToken, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

const uploadSchema = z
  .looseObject({ content_uri: z.string().regex(/^mxc:\/\/[^/]+\/[^/]+$/) })
  .transform((body) => {
    const [serverName = '', mediaId = ''] = body.content_uri.slice('mxc://'.length).split('/');
    return { contentUri: body.content_uri, serverName, mediaId, other: unknownFields(body, ['content_uri']) };
  });

/** Where an upload went: its `mxc://<serverName>/<mediaId>` URI and the two parts the admin media calls take. */
export type UploadedMedia = z.infer<typeof uploadSchema>;

export interface UploadMediaOptions {
  /** The file's MIME type (default `application/octet-stream`). */
  contentType?: string;
  /** The file name Synapse stores with it. */
  filename?: string;
}

/** `POST /_matrix/media/v3/upload`: uploads a file as the client's user. A repeat would store a second copy, so only 429s are retried. */
export function uploadMedia(context: ClientContext, bytes: Uint8Array, options: UploadMediaOptions = {}): Promise<UploadedMedia> {
  return context.transport.call({
    method: 'POST',
    route: '/_matrix/media/v3/upload',
    path: '/_matrix/media/v3/upload',
    query: { filename: options.filename },
    accessToken: requireToken(context, 'upload'),
    rawBody: { contentType: options.contentType ?? 'application/octet-stream', bytes },
    idempotency: 'rate-limit-only',
    schema: uploadSchema,
  });
}

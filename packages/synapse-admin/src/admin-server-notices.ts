import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// Server notices (docs/admin_api/server_notices.md): a message from the server to a local user, in a room the
// server's notices user keeps with them. Synapse answers `server_notices_disabled` (400) unless homeserver.yaml has a
// `server_notices` section.

const sentSchema = z.looseObject({ event_id: z.string() }).transform((body) => ({ eventId: body.event_id, other: unknownFields(body, ['event_id']) }));

export type SentServerNotice = z.infer<typeof sentSchema>;

/** The event content; for the default `m.room.message` type, at least `msgtype` and `body`. */
export type ServerNoticeContent = Readonly<Record<string, unknown>>;

export interface ServerNoticeOptions {
  /** The event type (default `m.room.message`). */
  type?: string;
  /** Sends a state event with this state key. */
  stateKey?: string;
}

function noticeBody(userId: string, content: ServerNoticeContent, options: ServerNoticeOptions): Record<string, unknown> {
  return {
    user_id: userId,
    content,
    ...(options.type === undefined ? {} : { type: options.type }),
    ...(options.stateKey === undefined ? {} : { state_key: options.stateKey }),
  };
}

/**
 * `POST /_synapse/admin/v1/send_server_notice`. Each call sends a new notice, so only 429s are retried; use
 * {@link sendServerNoticeWithTxnId} where a retry must not send it twice. An unknown user is `not_found`, a remote
 * one `bad_request`.
 */
export function sendServerNotice(context: ClientContext, userId: string, content: ServerNoticeContent, options: ServerNoticeOptions = {}): Promise<SentServerNotice> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/send_server_notice',
    path: '/_synapse/admin/v1/send_server_notice',
    body: noticeBody(userId, content, options),
    accessToken: requireToken(context, 'serverNotices.send'),
    idempotency: 'rate-limit-only',
    schema: sentSchema,
  });
}

export interface ServerNoticeTxnOptions extends ServerNoticeOptions {
  /** The transaction id (default: a random UUID); the same id with the same access token gives the same event. */
  txnId?: string;
}

/**
 * `PUT /_synapse/admin/v1/send_server_notice/<txn_id>`: Synapse answers a repeat of the transaction (same id, same
 * access token) with the event it sent the first time, so it is retried like any idempotent call.
 */
export async function sendServerNoticeWithTxnId(
  context: ClientContext,
  userId: string,
  content: ServerNoticeContent,
  options: ServerNoticeTxnOptions = {},
): Promise<SentServerNotice & { txnId: string }> {
  const txnId = options.txnId ?? randomUUID();
  const sent = await context.transport.call({
    method: 'PUT',
    route: '/_synapse/admin/v1/send_server_notice/{txnId}',
    path: `/_synapse/admin/v1/send_server_notice/${segment(txnId)}`,
    body: noticeBody(userId, content, options),
    accessToken: requireToken(context, 'serverNotices.sendWithTxnId'),
    idempotency: 'idempotent',
    schema: sentSchema,
  });
  return { ...sent, txnId };
}

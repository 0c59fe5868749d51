import {
  sendServerNotice,
  sendServerNoticeWithTxnId,
  type SentServerNotice,
  type ServerNoticeContent,
  type ServerNoticeOptions,
  type ServerNoticeTxnOptions,
} from './admin-server-notices.ts';
import type { ClientContext } from './client-context.ts';

/**
 * Server notices: messages from the server to a local user. Reached as `client.admin.serverNotices`. Needs a
 * `server_notices` section in homeserver.yaml (otherwise `server_notices_disabled`).
 *
 * @example
 * ```ts
 * await client.admin.serverNotices.send('@alice:example.org', { msgtype: 'm.text', body: 'Maintenance at 22:00 UTC' });
 * ```
 */
export class SynapseServerNoticesAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Sends a notice; each call sends a new one (only 429s are retried).
   *
   * @example
   * ```ts
   * const { eventId } = await client.admin.serverNotices.send('@alice:example.org', { msgtype: 'm.text', body: 'Your password was reset' });
   * ```
   */
  send(userId: string, content: ServerNoticeContent, options: ServerNoticeOptions = {}): Promise<SentServerNotice> {
    return sendServerNotice(this.#context, userId, content, options);
  }

  /**
   * Sends a notice under a transaction id (yours, or a generated UUID): a repeat with the same id and token returns
   * the first event instead of sending another, so retries are safe.
   *
   * @example
   * ```ts
   * const { eventId, txnId } = await client.admin.serverNotices.sendWithTxnId('@alice:example.org', { msgtype: 'm.text', body: 'Welcome back' }, { txnId: 'reset-42-alice' });
   * ```
   */
  sendWithTxnId(userId: string, content: ServerNoticeContent, options: ServerNoticeTxnOptions = {}): Promise<SentServerNotice & { txnId: string }> {
    return sendServerNoticeWithTxnId(this.#context, userId, content, options);
  }
}

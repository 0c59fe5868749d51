import { fetchEvent, type FetchedEvent } from './admin-events.ts';
import type { ClientContext } from './client-context.ts';

/**
 * Events by id, whatever the admin's membership of their rooms. Reached as `client.admin.events`.
 *
 * @example
 * ```ts
 * const event = await client.admin.events.fetch('$abc:example.org');
 * ```
 */
export class SynapseEventsAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * The event as the server stores it; `not_found` when it does not know it.
   *
   * @example
   * ```ts
   * const { sender, type, content, originServerMs } = await client.admin.events.fetch('$abc:example.org');
   * ```
   */
  fetch(eventId: string): Promise<FetchedEvent> {
    return fetchEvent(this.#context, eventId);
  }
}

import {
  getDestination,
  listDestinationRooms,
  listDestinationRoomsPage,
  listDestinations,
  listDestinationsPage,
  resetDestinationConnection,
  type Destination,
  type DestinationRoom,
  type FederationPage,
  type ListDestinationRoomsOptions,
  type ListDestinationsOptions,
} from './admin-federation.ts';
import type { ClientContext } from './client-context.ts';

/**
 * The federation admin API: the remote servers this one federates with, their retry timings and shared rooms.
 * Reached as `client.admin.federation`.
 *
 * @example
 * ```ts
 * for await (const remote of client.admin.federation.listDestinations()) console.log(remote.destination, remote.failureMs);
 * ```
 */
export class SynapseFederationAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * One page of destinations; pass its `nextToken` as `from` to resume.
   *
   * @example
   * ```ts
   * const page = await client.admin.federation.listDestinationsPage({ limit: 50, orderBy: 'failure_ts', dir: 'b' });
   * const next = page.nextToken === undefined ? undefined : await client.admin.federation.listDestinationsPage({ from: page.nextToken, limit: 50 });
   * ```
   */
  listDestinationsPage(options: ListDestinationsOptions = {}): Promise<FederationPage<Destination>> {
    return listDestinationsPage(this.#context, options);
  }

  /**
   * Every destination, following `next_token` page by page.
   *
   * @example
   * ```ts
   * for await (const remote of client.admin.federation.listDestinations({ limit: 500 })) {
   *   if (remote.failureMs !== undefined) console.log(`${remote.destination} failing since ${new Date(remote.failureMs).toISOString()}`);
   * }
   * ```
   */
  listDestinations(options: Omit<ListDestinationsOptions, 'from'> = {}): AsyncGenerator<Destination, void, undefined> {
    return listDestinations(this.#context, options);
  }

  /**
   * One destination's retry timings; `not_found` when this server never talked to it.
   *
   * @example
   * ```ts
   * const { retryLastMs, retryIntervalMs } = await client.admin.federation.getDestination('matrix.org');
   * ```
   */
  getDestination(destination: string): Promise<Destination> {
    return getDestination(this.#context, destination);
  }

  /**
   * One page of the rooms this server shares with `destination`.
   *
   * @example
   * ```ts
   * const { items, nextToken, total } = await client.admin.federation.listDestinationRoomsPage('matrix.org', { limit: 100 });
   * ```
   */
  listDestinationRoomsPage(destination: string, options: ListDestinationRoomsOptions = {}): Promise<FederationPage<DestinationRoom>> {
    return listDestinationRoomsPage(this.#context, destination, options);
  }

  /**
   * Every room shared with `destination`, page by page.
   *
   * @example
   * ```ts
   * for await (const room of client.admin.federation.listDestinationRooms('matrix.org')) console.log(room.roomId);
   * ```
   */
  listDestinationRooms(destination: string, options: Omit<ListDestinationRoomsOptions, 'from'> = {}): AsyncGenerator<DestinationRoom, void, undefined> {
    return listDestinationRooms(this.#context, destination, options);
  }

  /**
   * Cancels the destination's backoff and reconnects in the background; `bad_request` when it is not backing off.
   *
   * @example
   * ```ts
   * await client.admin.federation.resetConnection('matrix.org');
   * ```
   */
  resetConnection(destination: string): Promise<void> {
    return resetDestinationConnection(this.#context, destination);
  }
}

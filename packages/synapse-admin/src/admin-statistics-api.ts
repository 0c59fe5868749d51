import {
  databaseRoomSizes,
  listUserMediaUsage,
  listUserMediaUsagePage,
  type RoomDatabaseSize,
  type UserMediaUsage,
  type UserMediaUsageOptions,
  type UserMediaUsagePage,
} from './admin-statistics.ts';
import type { ClientContext } from './client-context.ts';

/**
 * Server statistics. Reached as `client.admin.statistics`.
 *
 * @example
 * ```ts
 * for await (const usage of client.admin.statistics.listUserMediaUsage({ orderBy: 'media_length', dir: 'b' })) console.log(usage.userId, usage.mediaLength);
 * ```
 */
export class SynapseStatisticsAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * One page of media usage per local user; pass the page's `nextToken` as `from` to resume.
   *
   * @example
   * ```ts
   * const { items, nextToken, total } = await client.admin.statistics.listUserMediaUsagePage({ from: 0, limit: 50 });
   * ```
   */
  listUserMediaUsagePage(options: UserMediaUsageOptions & { from?: number } = {}): Promise<UserMediaUsagePage> {
    return listUserMediaUsagePage(this.#context, options);
  }

  /**
   * Media usage (count and bytes) of every local user with uploads, following `next_token`.
   *
   * @example
   * ```ts
   * for await (const usage of client.admin.statistics.listUserMediaUsage({ fromMs: Date.now() - 86_400_000 })) console.log(usage.userId, usage.mediaCount);
   * ```
   */
  listUserMediaUsage(options: UserMediaUsageOptions = {}): AsyncGenerator<UserMediaUsage, void, undefined> {
    return listUserMediaUsage(this.#context, options);
  }

  /**
   * The rooms taking the most database space, estimated from PostgreSQL's statistics; `postgres_required` on SQLite.
   *
   * @example
   * ```ts
   * const [largest] = await client.admin.statistics.databaseRoomSizes();
   * ```
   */
  databaseRoomSizes(): Promise<RoomDatabaseSize[]> {
    return databaseRoomSizes(this.#context);
  }
}

import { getAdminClientConfig, setAdminClientConfig, type AdminClientConfig, type StoredAdminClientConfig } from './admin-client-config.ts';
import type { ClientContext } from './client-context.ts';

/**
 * The admin client config: what the client-server API shows this client's admin (soft-failed events, events a
 * policy server flagged as spam). Stored as account data on the admin's own account. Reached as
 * `client.admin.clientConfig`.
 *
 * @example
 * ```ts
 * await client.admin.clientConfig.set({ returnSoftFailedEvents: true });
 * ```
 */
export class SynapseClientConfigAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * The config as stored on this client's own account; `undefined` when never set.
   *
   * @example
   * ```ts
   * const config = await client.admin.clientConfig.get();
   * if (config?.returnSoftFailedEvents === true) console.log('soft-failed events shown');
   * ```
   */
  get(): Promise<StoredAdminClientConfig | undefined> {
    return getAdminClientConfig(this.#context);
  }

  /**
   * Replaces the config on this client's own account (options left out are unset). No effect for a non-admin.
   *
   * @example
   * ```ts
   * await client.admin.clientConfig.set({ returnSoftFailedEvents: false, returnPolicyServerSpammyEvents: true });
   * ```
   */
  set(config: AdminClientConfig): Promise<void> {
    return setAdminClientConfig(this.#context, config);
  }
}

import { renewAccountValidity, type RenewAccountValidityOptions } from './admin-account-validity.ts';
import type { ClientContext } from './client-context.ts';

/**
 * Account validity (expiring accounts), when `account_validity` is enabled in homeserver.yaml. Native auth only.
 * Reached as `client.admin.accountValidity`.
 *
 * @example
 * ```ts
 * const { expirationMs } = await client.admin.accountValidity.renew('@alice:example.org');
 * ```
 */
export class SynapseAccountValidityAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Extends the account's validity by the configured period, or sets it to `expirationMs`; resolves to the new
   * expiry. Throws `account_validity_disabled` when Synapse has no period to add, and
   * {@link AuthModeUnsupportedError} under delegated auth.
   *
   * @example
   * ```ts
   * const { expirationMs } = await client.admin.accountValidity.renew('@alice:example.org', {
   *   expirationMs: Date.now() + 30 * 86_400_000,
   *   enableRenewalEmails: false,
   * });
   * ```
   */
  renew(userId: string, options: RenewAccountValidityOptions = {}): Promise<{ expirationMs: number }> {
    return renewAccountValidity(this.#context, userId, options);
  }
}

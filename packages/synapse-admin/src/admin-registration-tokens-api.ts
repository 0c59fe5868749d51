import {
  createRegistrationToken,
  deleteRegistrationToken,
  getRegistrationToken,
  listRegistrationTokens,
  updateRegistrationToken,
  type CreateRegistrationTokenOptions,
  type ListRegistrationTokensOptions,
  type RegistrationToken,
  type UpdateRegistrationTokenOptions,
} from './admin-registration-tokens.ts';
import type { ClientContext } from './client-context.ts';

/**
 * Registration tokens, which let someone register while open registration is off. Reached as
 * `client.admin.registrationTokens`. Native auth only: under delegated auth every call throws
 * `AuthModeUnsupportedError` (the Matrix Authentication Service keeps its own registration tokens).
 *
 * @example
 * ```ts
 * const { token } = await client.admin.registrationTokens.create({ usesAllowed: 1 });
 * ```
 */
export class SynapseRegistrationTokensAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Every registration token, or only the usable (`valid: true`) or the spent (`valid: false`) ones.
   *
   * @example
   * ```ts
   * const usable = await client.admin.registrationTokens.list({ valid: true });
   * ```
   */
  list(options: ListRegistrationTokensOptions = {}): Promise<RegistrationToken[]> {
    return listRegistrationTokens(this.#context, options);
  }

  /**
   * One token, with its uses; `not_found` when there is no such token.
   *
   * @example
   * ```ts
   * const { usesAllowed, completed } = await client.admin.registrationTokens.get('invite-2026');
   * ```
   */
  get(token: string): Promise<RegistrationToken> {
    return getRegistrationToken(this.#context, token);
  }

  /**
   * Creates a token: the one given, or one Synapse generates (`length` characters, default 16).
   *
   * @example
   * ```ts
   * const created = await client.admin.registrationTokens.create({ token: 'invite-2026', usesAllowed: 10, expiryMs: Date.now() + 7 * 86_400_000 });
   * ```
   */
  create(options: CreateRegistrationTokenOptions = {}): Promise<RegistrationToken> {
    return createRegistrationToken(this.#context, options);
  }

  /**
   * Changes a token's limit or expiry (`null` lifts either) and returns it as it now is.
   *
   * @example
   * ```ts
   * await client.admin.registrationTokens.update('invite-2026', { usesAllowed: null, expiryMs: Date.now() + 86_400_000 });
   * ```
   */
  update(token: string, changes: UpdateRegistrationTokenOptions): Promise<RegistrationToken> {
    return updateRegistrationToken(this.#context, token, changes);
  }

  /**
   * Deletes a token; `not_found` when there is no such token.
   *
   * @example
   * ```ts
   * await client.admin.registrationTokens.delete('invite-2026');
   * ```
   */
  delete(token: string): Promise<void> {
    return deleteRegistrationToken(this.#context, token);
  }
}

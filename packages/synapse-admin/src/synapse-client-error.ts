/**
 * Stable, machine-readable reasons for every expected failure this package reports. Callers branch on these, never
 * on message text.
 */
export type SynapseErrorCode =
  // The server answered with an error.
  | 'missing_token'
  | 'unknown_token'
  | 'token_soft_logout'
  | 'not_admin'
  | 'forbidden'
  | 'invalid_credentials'
  | 'user_deactivated'
  | 'user_locked'
  | 'route_missing'
  | 'not_found'
  | 'proxy_blocked'
  | 'rate_limited'
  | 'user_in_use'
  | 'invalid_username'
  | 'exclusive_namespace'
  | 'hmac_incorrect'
  | 'nonce_unrecognised'
  | 'shared_secret_registration_disabled'
  | 'auth_service_unreachable'
  | 'server_notices_disabled'
  | 'postgres_required'
  | 'bad_request'
  | 'server_error'
  | 'unexpected_response'
  | 'invalid_response'
  // The client decided.
  | 'user_exists'
  | 'unsupported_in_auth_mode'
  | 'auth_mode_unknown'
  | 'server_name_unknown'
  | 'room_delete_failed'
  | 'room_delete_timeout'
  | 'background_task_failed'
  | 'background_task_timeout'
  | 'account_validity_disabled'
  // No answer at all.
  | 'connection_refused'
  | 'timeout'
  | 'connection_reset'
  | 'dns_lookup_failed'
  | 'network_error';

export interface SynapseClientErrorOptions {
  code: SynapseErrorCode;
  message: string;
  nextSteps?: readonly string[];
  method?: string;
  path?: string;
  cause?: Error;
}

/**
 * The base of every expected, user-facing error from this package: a stable `code`, a message saying what happened
 * and `nextSteps` saying what to do. Messages never contain access tokens, passwords or the shared secret.
 * Anything else that escapes the client is a bug and keeps its own type.
 *
 * @example
 * ```ts
 * try {
 *   await client.admin.createUser('@alice:example.org', { password: 'pw' });
 * } catch (error) {
 *   if (error instanceof SynapseClientError && error.code === 'user_exists') {
 *     // already there: nothing to do
 *   } else throw error;
 * }
 * ```
 */
export class SynapseClientError extends Error {
  override name = 'SynapseClientError';
  readonly code: SynapseErrorCode;
  readonly nextSteps: readonly string[];
  /** HTTP method of the request that failed, when there was one. */
  readonly method: string | undefined;
  /** Path of the request that failed, without base URL or query string. */
  readonly path: string | undefined;

  constructor(options: SynapseClientErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
    this.method = options.method;
    this.path = options.path;
  }
}

/**
 * True when `error` is any expected error from this package.
 *
 * @example
 * ```ts
 * if (isSynapseClientError(error, 'route_missing')) console.error(error.nextSteps.join('\n'));
 * ```
 */
export function isSynapseClientError(error: unknown, code?: SynapseErrorCode): error is SynapseClientError {
  return error instanceof SynapseClientError && (code === undefined || error.code === code);
}

/** Stable, machine-readable reasons for every expected failure of this package. */
export type SecretsErrorCode =
  | 'invalid_reference'
  | 'unsupported_store'
  | 'read_only_store'
  | 'not_found'
  | 'no_previous_version'
  | 'version_conflict'
  | 'managed_externally'
  | 'version_limit'
  | 'throttled'
  | 'access_denied'
  | 'invalid_value'
  | 'invalid_request'
  | 'io_error'
  | 'store_error';

export interface SecretsErrorOptions {
  code: SecretsErrorCode;
  message: string;
  nextSteps?: readonly string[];
  /** The store reference (`ssm:/app/token`): a location, never a value. */
  reference?: string;
  cause?: Error;
}

/**
 * The expected, user-facing error of this package: a stable `code`, a message saying what happened, `nextSteps`
 * saying what to do, and the store `reference`. Messages never contain secret values (they are scrubbed before
 * the error is built); `cause` is a scrubbed copy, never the original SDK or system error object.
 *
 * @example
 * ```ts
 * const store = openSecretStore('dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN');
 * try { await store.write(token); }
 * catch (error) {
 *   if (error instanceof SecretsError && error.code === 'version_conflict') { // re-read and retry
 *   } else throw error;
 * }
 * ```
 */
export class SecretsError extends Error {
  override name = 'SecretsError';
  readonly code: SecretsErrorCode;
  readonly nextSteps: readonly string[];
  readonly reference: string | undefined;

  constructor(options: SecretsErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
    this.reference = options.reference;
  }
}

/**
 * True when `error` is a {@link SecretsError} (with `code`, when given).
 *
 * @example
 * ```ts
 * if (isSecretsError(error, 'throttled')) console.error(error.nextSteps.join('\n'));
 * ```
 */
export function isSecretsError(error: unknown, code?: SecretsErrorCode): error is SecretsError {
  return error instanceof SecretsError && (code === undefined || error.code === code);
}

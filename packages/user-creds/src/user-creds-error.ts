/**
 * Stable, machine-readable reasons for every expected failure of this package. Branch on these, never on text.
 */
export type UserCredsErrorCode =
  | 'invalid_layout'
  | 'invalid_run_id'
  | 'no_usable_schema'
  | 'column_missing'
  | 'snapshot_not_found'
  | 'snapshot_checksum_mismatch'
  | 'lock_timeout'
  | 'interrupted'
  | 'migration_failed';

export interface UserCredsErrorOptions {
  code: UserCredsErrorCode;
  message: string;
  nextSteps?: readonly string[];
  /** The app schema the failure is about, when there is one. */
  schema?: string;
  cause?: Error;
}

/**
 * The expected, user-facing error of this package: a stable `code`, a message saying what happened and
 * `nextSteps` saying what to do. Messages name schemas, tables, columns and keys, never credential values.
 * Anything else that escapes is a bug (a database error keeps its own type and stack).
 *
 * @example
 * ```ts
 * try { await creds.restore({ runId: 'r1' }); }
 * catch (error) {
 *   if (error instanceof UserCredsError && error.code === 'snapshot_not_found') console.error(error.nextSteps);
 *   else throw error;
 * }
 * ```
 */
export class UserCredsError extends Error {
  override name = 'UserCredsError';
  readonly code: UserCredsErrorCode;
  readonly nextSteps: readonly string[];
  readonly schema: string | undefined;

  constructor(options: UserCredsErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
    this.schema = options.schema;
  }
}

/**
 * True when `error` is a {@link UserCredsError} (with `code`, when given).
 *
 * @example
 * ```ts
 * if (isUserCredsError(error, 'lock_timeout')) console.error(error.nextSteps.join('\n'));
 * ```
 */
export function isUserCredsError(error: unknown, code?: UserCredsErrorCode): error is UserCredsError {
  return error instanceof UserCredsError && (code === undefined || error.code === code);
}

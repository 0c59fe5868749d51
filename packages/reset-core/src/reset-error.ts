/** Stable codes of reset-core's own expected failures (library errors keep theirs and pass through). */
export type ResetErrorCode =
  | 'config_not_found'
  | 'config_invalid'
  | 'environment_unknown'
  | 'delegated_auth'
  | 'stale_plan'
  | 'rolled_back'
  | 'locked'
  | 'confirmation_required'
  | 'step_failed'
  | 'drift_found'
  | 'plan_not_found'
  | 'run_not_found'
  | 'app_user_not_found'
  | 'matrix_user_deactivated'
  | 'user_id_unknown'
  | 'schema_required'
  | 'schema_not_in_layout'
  | 'write_contended'
  | 'database_unavailable'
  | 'database_in_use'
  | 'environment_incapable'
  | 'unsupported';

/**
 * An expected, user-facing failure of reset-core: a stable `code`, a message saying what happened, and `nextSteps`
 * saying what to do. Everything else thrown is a bug and keeps its stack. Messages never carry secret values.
 *
 * @example
 * throw new ResetError('config_invalid', 'matrix-reset.yaml: environments.dev.namespace: required', {
 *   nextSteps: ['Add the Kubernetes namespace Synapse runs in, e.g. namespace: openmeet-dev'],
 * });
 */
export class ResetError extends Error {
  override readonly name = 'ResetError';
  readonly code: ResetErrorCode;
  readonly nextSteps: readonly string[];

  constructor(code: ResetErrorCode, message: string, options: { nextSteps?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
  }
}

/** True for a {@link ResetError}, optionally of one of the given codes. */
export function isResetError(error: unknown, ...codes: ResetErrorCode[]): error is ResetError {
  return error instanceof ResetError && (codes.length === 0 || codes.includes(error.code));
}

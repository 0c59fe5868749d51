/** Stable codes for the failures a kube-sim user can act on. */
export type KubeSimErrorCode =
  | 'BAD_INPUT'
  | 'OPENSSL_FAILED'
  | 'NOT_ROOT'
  | 'POD_NETWORK_FAILED'
  | 'SCENARIO_INVALID'
  | 'SCENARIO_POSTGRES_FAILED'
  | 'START_FAILED';

/**
 * An expected, user-facing failure: what happened (`message`) and what to do about it (`nextSteps`).
 * Anything else thrown by kube-sim is a bug and keeps its stack.
 *
 * @example
 * throw new KubeSimError({ code: 'BAD_INPUT', message: '--port must be a number', nextSteps: ['Pass --port 6443'] });
 */
export class KubeSimError extends Error {
  readonly code: KubeSimErrorCode;
  readonly nextSteps: readonly string[];

  constructor(options: { code: KubeSimErrorCode; message: string; nextSteps?: readonly string[]; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeSimError';
    this.code = options.code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
  }
}

/**
 * True when `error` is a {@link KubeSimError}, optionally with the given code.
 *
 * @example
 * if (isKubeSimError(error, 'NOT_ROOT')) process.stderr.write(error.nextSteps.join('\n'));
 */
export function isKubeSimError(error: unknown, code?: KubeSimErrorCode): error is KubeSimError {
  return error instanceof KubeSimError && (code === undefined || error.code === code);
}

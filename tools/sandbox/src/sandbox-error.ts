/** Stable codes for the failures a sandbox user can act on. */
export type SandboxErrorCode =
  | 'BAD_INPUT'
  | 'SYNAPSE_VENV_MISSING'
  | 'SYNAPSE_START_FAILED'
  | 'POSTGRES_UNAVAILABLE'
  | 'POSTGRES_START_FAILED'
  | 'MOTO_MISSING'
  | 'MOTO_START_FAILED'
  | 'KUBE_SIM_START_FAILED'
  | 'NO_CONTAINER_RUNTIME'
  | 'CONTAINER_START_FAILED'
  | 'SERVICE_UNSUPPORTED'
  | 'SANDBOX_ALREADY_RUNNING'
  | 'SANDBOX_NOT_RUNNING'
  | 'SUPERVISOR_FAILED';

/**
 * An expected, user-facing failure: what happened (`message`) and what to do about it (`nextSteps`).
 * Anything else thrown by the sandbox is a bug and keeps its stack.
 *
 * @example
 * throw new SandboxError({
 *   code: 'MOTO_MISSING',
 *   message: 'moto_server is not on PATH',
 *   nextSteps: ['Run `. scripts/setup` from the repository root'],
 * });
 */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly nextSteps: readonly string[];

  constructor(options: { code: SandboxErrorCode; message: string; nextSteps?: readonly string[]; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandboxError';
    this.code = options.code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
  }
}

/**
 * True when `error` is a {@link SandboxError}, optionally with the given code.
 *
 * @example
 * if (isSandboxError(error, 'NO_CONTAINER_RUNTIME')) useProcesses();
 */
export function isSandboxError(error: unknown, code?: SandboxErrorCode): error is SandboxError {
  return error instanceof SandboxError && (code === undefined || error.code === code);
}

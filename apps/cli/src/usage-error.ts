/**
 * A command line that cannot work as given: a bad flag value, a missing flag, a file that would be overwritten.
 * Rendered like any expected error (`error[usage]: ...` and the next steps), exit code 2. `confirmation_required`
 * is the same kind: a destructive command without a terminal to confirm on and without `--yes`.
 *
 * @example
 * throw new UsageError('--sample must be a positive integer, got "zero"', { nextSteps: ['Pass --sample 50'] });
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: 'usage' | 'confirmation_required';
  readonly nextSteps: readonly string[];

  constructor(message: string, options: { nextSteps?: readonly string[]; code?: 'usage' | 'confirmation_required' } = {}) {
    super(message);
    this.code = options.code ?? 'usage';
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
  }
}

/**
 * Every flag of matrix-reset can be set from the environment. This wraps a command's flag definitions and checks,
 * when the command class loads, that each names a `MATRIX_RESET_*` variable (`env`); oclif then reads it and shows
 * `env: MATRIX_RESET_X` in the help. Types are kept as oclif infers them.
 *
 * @example
 * static override flags = everyFlagHasEnv({
 *   sample: Flags.integer({ env: 'MATRIX_RESET_SAMPLE', description: 'Users to check', default: 20, min: 1 }),
 * });
 */
export function everyFlagHasEnv<T extends Record<string, { env?: string | undefined }>>(flags: T): T {
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.env === undefined || !flag.env.startsWith('MATRIX_RESET_')) {
      throw new Error(`flag --${name} has no MATRIX_RESET_ environment variable: every flag must have one`);
    }
  }
  return flags;
}

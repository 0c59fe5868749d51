import { loadResetConfig, resolveEnvironment, type EnvironmentConfig } from '@matrix-reset/reset-core';
import { UsageError } from './usage-error.ts';

/**
 * The environment a command works on: `--config` loaded and checked by reset-core, then `--env`, or the file's
 * only environment when it defines one and `--env` is not given. Errors are reset-core's (`config_not_found`,
 * `config_invalid`, `environment_unknown`) or `usage` when `--env` is needed to choose.
 *
 * @example
 * const environment = await loadEnvironment({ config: 'matrix-reset.yaml', env: 'dev' });
 */
export async function loadEnvironment(flags: { config: string; env: string | undefined }): Promise<EnvironmentConfig> {
  const config = await loadResetConfig({ path: flags.config });
  if (flags.env !== undefined) return resolveEnvironment(config, flags.env);
  const names = Object.keys(config.environments);
  if (names.length === 1 && names[0] !== undefined) return resolveEnvironment(config, names[0]);
  throw new UsageError(`${config.path} defines ${names.length} environments; say which one to use`, {
    nextSteps: [`Pass --env <name> (or set MATRIX_RESET_ENV), one of: ${names.join(', ')}`],
  });
}

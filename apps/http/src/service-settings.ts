import { loadResetConfig, ResetError, resolveEnvironment, type EnvironmentConfig, type ResetConfig, type ServiceConfig } from '@matrix-reset/reset-core';

/** Environment variables the service reads (each overrides the file; explicit options override them). */
export const SERVICE_ENV = {
  config: 'MATRIX_RESET_CONFIG',
  environment: 'MATRIX_RESET_ENV',
  host: 'MATRIX_RESET_HTTP_HOST',
  port: 'MATRIX_RESET_HTTP_PORT',
  logLevel: 'MATRIX_RESET_LOG_LEVEL',
} as const;

export interface ServiceSettingsOptions {
  /** matrix-reset.yaml; default `MATRIX_RESET_CONFIG`, else `matrix-reset.yaml` in `cwd`. */
  configPath?: string;
  cwd?: string;
  /** The environment to serve; default `MATRIX_RESET_ENV`, else `service.environment`, else the only one defined. */
  environment?: string;
  /** Listen address; default `MATRIX_RESET_HTTP_HOST`, else `service.listen.host`. */
  host?: string;
  /** Listen port (0: any free one); default `MATRIX_RESET_HTTP_PORT`, else `service.listen.port`. */
  port?: number;
  /** Where the variables above come from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The file, the service section with overrides applied, and the environment it serves. */
export interface ServiceSettings {
  readonly config: ResetConfig;
  readonly service: ServiceConfig;
  readonly environment: EnvironmentConfig;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Loads `matrix-reset.yaml` and decides what the service runs with: the `service:` section (required) with the
 * listen address overridden by options or environment variables, and the environment it serves. Throws
 * `config_invalid` / `config_not_found` / `environment_unknown` ResetErrors with next steps.
 *
 * @example
 * ```ts
 * const settings = await loadServiceSettings({ env: process.env });
 * console.error(`serving ${settings.environment.name} on ${settings.service.listen.host}:${settings.service.listen.port}`);
 * ```
 */
export async function loadServiceSettings(options: ServiceSettingsOptions = {}): Promise<ServiceSettings> {
  const env = options.env ?? process.env;
  const configPath = options.configPath ?? nonEmpty(env[SERVICE_ENV.config]);
  const config = await loadResetConfig({ ...(configPath === undefined ? {} : { path: configPath }), ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
  const service = config.service;
  if (service === undefined) {
    throw new ResetError('config_invalid', `${config.path} has no service: section, which the HTTP service needs (at least its tokens)`, {
      nextSteps: [
        'Make a token: `matrix-reset service token --name <name> --scope read --out <file>` prints the service: lines to add.',
        'See "The HTTP service" in the README for every setting.',
      ],
    });
  }
  const named = options.environment ?? nonEmpty(env[SERVICE_ENV.environment]) ?? service.environment;
  const known = Object.keys(config.environments);
  if (named === undefined && known.length !== 1) {
    throw new ResetError('config_invalid', `${config.path} defines ${known.length} environments (${known.join(', ')}) and service.environment names none`, {
      nextSteps: [`Set service.environment in ${config.path}, or ${SERVICE_ENV.environment}=<name>.`],
    });
  }
  const environment = resolveEnvironment(config, named ?? known[0] ?? '');
  const host = options.host ?? nonEmpty(env[SERVICE_ENV.host]) ?? service.listen.host;
  const portText = nonEmpty(env[SERVICE_ENV.port]);
  const port = options.port ?? (portText === undefined ? service.listen.port : Number(portText));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ResetError('config_invalid', `${SERVICE_ENV.port} must be a port number (0 to 65535), got ${JSON.stringify(portText)}`, {
      nextSteps: [`Unset ${SERVICE_ENV.port} or give it a number, e.g. 8080.`],
    });
  }
  return Object.freeze({ config, service: Object.freeze({ ...service, listen: Object.freeze({ host, port }) }), environment });
}

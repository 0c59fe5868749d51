import { isResetError } from '@matrix-reset/reset-core';
import { createServiceLogger } from './logger.ts';
import { SERVICE_ENV } from './service-settings.ts';
import { startService } from './start-service.ts';

/**
 * The service's entry point (`bin/matrix-reset-http.js`): reads matrix-reset.yaml (`MATRIX_RESET_CONFIG`), serves
 * the environment (`MATRIX_RESET_ENV`) on `service.listen` (`MATRIX_RESET_HTTP_HOST`, `MATRIX_RESET_HTTP_PORT`),
 * stops cleanly on SIGTERM and SIGINT. Exit codes: 0 stopped, 1 failed, 2 bad config.
 */
export async function main(): Promise<void> {
  const logger = createServiceLogger({ level: process.env[SERVICE_ENV.logLevel] ?? 'info' });
  let service;
  try {
    service = await startService({ logger });
  } catch (error) {
    if (isResetError(error)) {
      logger.fatal({ code: error.code, nextSteps: error.nextSteps }, error.message);
      process.exitCode = error.code === 'config_invalid' || error.code === 'config_not_found' || error.code === 'environment_unknown' ? 2 : 1;
      return;
    }
    logger.fatal({ err: error }, 'could not start');
    process.exitCode = 1;
    return;
  }
  const running = service;
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    running.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'failed to stop cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

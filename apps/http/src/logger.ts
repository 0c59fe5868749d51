import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Principal } from './auth.ts';
import type { AppEnv } from './service-context.ts';

/**
 * Paths pino replaces with `[redacted]` wherever a caller logs an object: request headers that carry credentials,
 * and any field named like a token or secret. Access lines never log headers or bodies in the first place.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  'accessToken',
  'access_token',
  'sessionSecret',
  'sharedSecret',
  'password',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.sessionSecret',
  '*.sharedSecret',
  '*.password',
];

export interface ServiceLoggerOptions {
  /** Default `info` (`MATRIX_RESET_LOG_LEVEL`). */
  level?: string;
  /** Where JSON lines go; default stdout. Tests pass a stream they read back. */
  destination?: DestinationStream;
}

/**
 * The service's pino logger: JSON lines, secret-bearing fields redacted.
 *
 * @example
 * ```ts
 * const logger = createServiceLogger({ level: 'debug' });
 * logger.info({ tokenName: 'openmeet-api' }, 'started');
 * ```
 */
export function createServiceLogger(options: ServiceLoggerOptions = {}): Logger {
  const settings = { level: options.level ?? 'info', base: { service: 'matrix-reset-http' }, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/**
 * One access line per request: method, route (the matched pattern, never ids or query strings), status, ms and the
 * caller's token NAME. Also counts the request in the metrics.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    let failed = false;
    try {
      await next();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const route = matchedRoute(c);
      const status = failed ? 500 : c.res.status;
      const principal = c.get('principal') as Principal | undefined;
      const service = c.get('service');
      service.metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
      service.logger.info({ method: c.req.method, route, status, ms, ...(principal ? { tokenName: principal.tokenName, via: principal.via } : {}) }, 'request');
    }
  };
}

function matchedRoute(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const path = routePath(c, -1);
  return path === '*' || path === '/*' ? 'unmatched' : path;
}

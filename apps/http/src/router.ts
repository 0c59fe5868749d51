import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from './http-errors.ts';
import type { AppEnv } from './service-context.ts';

/**
 * A router for one group of routes, answering schema failures with the common 400 body. Every route module builds
 * its routes on one of these and is mounted with `app.route('/', module(ctx))`.
 *
 * @example
 * ```ts
 * export function healthRoutes(ctx: ServiceContext) {
 *   return createRouter().openapi(healthzRoute, (c) => c.json({ status: 'ok' as const }, 200));
 * }
 * ```
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The OpenAPI security requirement of bearer-only routes. */
export const bearerSecurity: Record<string, string[]>[] = [{ bearer: [] }];
/** The OpenAPI security requirement of routes a browser session may also read. */
export const bearerOrSessionSecurity: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

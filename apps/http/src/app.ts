import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { allowedHostsOnly } from './allowed-hosts.ts';
import { ApiError, errorResponse, notFoundHandler, onError } from './http-errors.ts';
import { accessLog } from './logger.ts';
import { createRouter } from './router.ts';
import { SESSION_COOKIE } from './session-cookie.ts';
import { credentialsRoutes } from './routes/credentials.ts';
import { driftRoutes } from './routes/drift.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { runRoutes } from './routes/runs.ts';
import { sessionRoutes } from './routes/session.ts';
import { statusPageRoutes } from './routes/status-page.ts';
import type { AppEnv, ServiceContext } from './service-context.ts';

/** The OpenAPI document's version string (the package's). */
export const API_VERSION = '0.1.0';

/**
 * The whole HTTP API on one context: access log, body limit, JSON errors, every route module, and the OpenAPI 3.1
 * document at `GET /openapi.json` (no auth). Route modules are `(ctx) => OpenAPIHono` mounted at `/`.
 *
 * @example
 * ```ts
 * const app = createApp(ctx);
 * const response = await app.request('/healthz'); // 200 {"status":"ok"}
 * ```
 */
export function createApp(ctx: ServiceContext): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.use('*', async (c, next) => {
    c.set('service', ctx);
    await next();
  });
  app.use('*', accessLog());
  // Before anything else answers: a page on another domain that rebinds to this address is refused by its Host.
  app.use('*', allowedHostsOnly({ allowed: ctx.config.allowedHosts, listenHost: ctx.config.listen.host }));
  // A compressed body would reach the JSON parser as bytes it cannot read (or, unbounded, as a zip bomb): refused
  // up front, as RFC 9110 says (415, with the codings accepted: none but identity).
  app.use('*', async (c, next) => {
    const coding = c.req.header('content-encoding')?.trim().toLowerCase();
    if (coding !== undefined && coding !== '' && coding !== 'identity') {
      throw new ApiError(415, 'unsupported_content_encoding', `Request bodies are taken uncompressed; this one has Content-Encoding ${coding.slice(0, 40)}`, {
        headers: { 'Accept-Encoding': 'identity' },
        nextSteps: ['Send the body without Content-Encoding (bodies here are small JSON).'],
      });
    }
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: ctx.config.bodyLimitBytes,
      onError: (c) =>
        errorResponse(
          c,
          new ApiError(413, 'body_too_large', `The request body is larger than ${ctx.config.bodyLimitBytes} bytes`, {
            nextSteps: ['Send a smaller body; the limit is service.bodyLimitBytes.'],
          }),
        ),
    }),
  );
  app.onError(
    onError(ctx.logger, {
      adminToken: { references: ctx.environment.adminToken.map((target) => target.token), environment: ctx.environment.name, configPath: ctx.configPath },
    }),
  );
  // 405 with Allow for a path served under other methods, 404 otherwise (routes are read once all are mounted).
  app.notFound(notFoundHandler(() => app.routes));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from service.tokens (`matrix-reset service token`); the config holds only its SHA-256',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Browser session from POST /session: GET requests needing read only',
  });

  app.route('/', healthRoutes(ctx));
  app.route('/', sessionRoutes(ctx));
  app.route('/', credentialsRoutes(ctx));
  app.route('/', driftRoutes(ctx));
  app.route('/', metricsRoutes(ctx));
  app.route('/', runRoutes(ctx));
  app.route('/', statusPageRoutes(ctx));

  const documentConfig = {
    openapi: '3.1.0',
    info: {
      title: 'matrix-reset HTTP service',
      version: API_VERSION,
      description:
        'Matrix credentials for app users, drift, and reset runs. Errors: {"error": {"code", "message", "nextSteps"}}. ' +
        'A method a path does not take is 405 method_not_allowed with Allow; a path nothing serves is 404 not_found; a request body ' +
        'with a Content-Encoding other than identity is 415; a Host (or X-Forwarded-Host) the service does not answer to is 421 ' +
        'host_not_allowed (IP addresses, localhost, cluster-internal names and service.allowedHosts are answered).',
    },
  };
  // Built once, when first asked for (every route is mounted by then).
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get('/openapi.json', (c) => c.json((document ??= withRequiredBodies(app.getOpenAPI31Document(documentConfig), REQUIRED_BODIES)), 200));
  return app;
}

/**
 * Operations whose body the handler needs although the route declares it optional: with two media types (JSON and a
 * form), a required body would make each type's validator run on every request, so the route leaves it optional
 * and its handler refuses a missing one. The document says what the handler does.
 */
const REQUIRED_BODIES: readonly (readonly [path: string, method: 'post'])[] = [['/session', 'post']];

function withRequiredBodies<D extends { paths?: object }>(document: D, operations: typeof REQUIRED_BODIES): D {
  const paths = (document.paths ?? {}) as Record<string, Partial<Record<string, { requestBody?: { required?: boolean } }>> | undefined>;
  for (const [path, method] of operations) {
    const operation = paths[path]?.[method];
    if (operation?.requestBody === undefined) throw new Error(`the OpenAPI document has no request body for ${method.toUpperCase()} ${path}`);
    operation.requestBody.required = true;
  }
  return document;
}

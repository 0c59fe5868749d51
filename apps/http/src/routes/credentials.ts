import { createRoute, type z } from '@hono/zod-openapi';
import { ensureCredentials, EnsureCredentialsError, isResetError, type CredentialSource, type EnsureCredentialsEvent } from '@matrix-reset/reset-core';
import { hasScope } from '../auth.ts';
import { requireScope } from '../require-scope.ts';
import { ApiError } from '../http-errors.ts';
import { bearerSecurity, createRouter } from '../router.ts';
import { appUserParams, ensureRequest, matrixCredentials } from '../schemas/credentials.ts';
import { errorResponses } from '../schemas/error.ts';
import type { ServiceContext } from '../service-context.ts';

const ensureRoute = createRoute({
  method: 'post',
  path: '/v1/users/{appUserId}/matrix-credentials',
  tags: ['credentials'],
  summary: 'Working Matrix credentials for one app user, provisioned when needed',
  description:
    'Keeps a stored token that still works; otherwise mints one with admin login-as for the existing Matrix user, or creates the user and mints one; ' +
    'writes it with compare-and-set. Concurrent calls for one user (in this and other instances) share one attempt. Needs credentials:ensure; ' +
    'the token is returned only when the caller also has credentials:read.',
  security: bearerSecurity,
  middleware: [requireScope('credentials:ensure')] as const,
  request: { params: appUserParams, body: { required: false, content: { 'application/json': { schema: ensureRequest } } } },
  responses: {
    200: { description: 'Working credentials', content: { 'application/json': { schema: matrixCredentials } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 501, 502, 503),
  },
});

/** `POST /v1/users/{appUserId}/matrix-credentials`: reset-core `ensureCredentials` over the service's one connection. */
export function credentialsRoutes(ctx: ServiceContext) {
  const { connection, environment } = ctx;
  const deps = {
    db: connection.db,
    layout: environment.appDatabase.layout,
    synapse: connection.synapse,
    serverName: environment.synapse.serverName,
    now: () => ctx.now(),
    // One line per decision (never a token): which user, where, how; write conflicts and failed revocations as warnings.
    onEvent: (event: EnsureCredentialsEvent) => {
      if (event.type === 'ensured') ctx.logger.debug({ ...event }, 'ensure-credentials');
      else ctx.logger.warn({ ...event }, 'ensure-credentials');
    },
  };
  return createRouter().openapi(ensureRoute, async (c) => {
    const { appUserId } = c.req.valid('param');
    const schema = (c.req.valid('json') as z.infer<typeof ensureRequest> | undefined)?.schema;
    const started = performance.now();
    let source: CredentialSource | 'none' = 'none';
    let outcome = 'ok';
    try {
      const result = await ensureCredentials(deps, { appUserKey: appUserId, ...(schema === undefined ? {} : { schema }) });
      source = result.source;
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          userId: result.userId,
          deviceId: result.deviceId ?? null,
          source: result.source,
          ...(hasScope(c.get('principal'), 'credentials:read') ? { accessToken: result.accessToken.reveal() } : {}),
        },
        200,
      );
    } catch (caught) {
      const error = callersMistake(ctx, caught, appUserId, schema);
      outcome = error instanceof ApiError || isResetError(error) ? error.code : 'error';
      throw error;
    } finally {
      const labels = { source, outcome };
      ctx.metrics.ensureDuration.observe(labels, (performance.now() - started) / 1000);
      ctx.metrics.ensureTotal.inc(labels);
    }
  });
}

/**
 * The caller's mistakes, logged at info (they are no fault of the service's): a key the key column cannot hold
 * (reset-core answers `app_user_not_found`, caused by the database's refusal of the key) and a schema the layout does
 * not cover (`schema_not_in_layout`, whose message then names the request's `body.schema`). Returns the error to throw.
 */
function callersMistake(ctx: ServiceContext, error: unknown, appUserId: string, schema: string | undefined): unknown {
  if (!(error instanceof EnsureCredentialsError)) return error;
  const layout = ctx.environment.appDatabase.layout;
  const sqlstate = (error.cause as { code?: unknown } | undefined)?.code;
  if (error.reason === 'app_user_not_found' && typeof sqlstate === 'string') {
    ctx.logger.info({ sqlstate, key: appUserId, schema, keyColumn: layout.keyColumn }, 'ensure-credentials: the key does not fit the key column');
  }
  if (error.reason === 'schema_not_in_layout') {
    ctx.logger.info({ schema, layout: layout.name }, 'ensure-credentials: the schema is not one the layout covers');
    if (schema !== undefined) {
      return new EnsureCredentialsError({ reason: error.reason, schema: error.schema, appUserKey: error.appUserKey, message: `body.schema: ${error.message}`, nextSteps: error.nextSteps, cause: error });
    }
  }
  return error;
}

import { createRoute, z } from '@hono/zod-openapi';
import { ensureCredentials, isResetError, type CredentialSource, type EnsureCredentialsEvent } from '@matrix-reset/reset-core';
import { hasScope, requireScope } from '../auth.ts';
import { ApiError, errorResponses, isSqlState } from '../http-errors.ts';
import { bearerSecurity, createRouter } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';

const params = z.object({
  appUserId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'an app user key: 1 to 200 of A-Z a-z 0-9 . _ : -')
    .openapi({ param: { name: 'appUserId', in: 'path' }, example: '42' }),
});

const body = z
  .strictObject({
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a Postgres schema name (a-z, 0-9 and _, at most 63), e.g. tenant_acme')
      .optional()
      .openapi({ description: 'The schema (tenant) holding the app user; optional when the layout names exactly one', example: 'tenant_acme' }),
  })
  .openapi('EnsureCredentialsRequest');

const credentials = z
  .object({
    userId: z.string().openapi({ example: '@alice_acme:matrix.example.org' }),
    deviceId: z.string().nullable().openapi({ description: 'The stored device id of a kept token; null for minted (login-as) tokens' }),
    source: z.enum(['kept', 'login-as', 'created']).openapi({ description: 'kept: the stored token works; login-as: a new token for the existing user; created: a new user and token' }),
    accessToken: z.string().optional().openapi({ description: 'Only for callers whose token also has credentials:read' }),
  })
  .openapi('MatrixCredentials');

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
  request: { params, body: { required: false, content: { 'application/json': { schema: body } } } },
  responses: {
    200: { description: 'Working credentials', content: { 'application/json': { schema: credentials } } },
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
    const schema = (c.req.valid('json') as z.infer<typeof body> | undefined)?.schema;
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
      const error = clientMistake(ctx, caught, appUserId, schema);
      outcome = error instanceof ApiError ? error.code : isResetError(error) ? ((error as { reason?: string }).reason ?? error.code) : 'error';
      throw error;
    } finally {
      const labels = { source, outcome };
      ctx.metrics.ensureDuration.observe(labels, (performance.now() - started) / 1000);
      ctx.metrics.ensureTotal.inc(labels);
    }
  });
}

/** Postgres' invalid_text_representation and numeric_value_out_of_range: the key cannot be a value of the key column. */
const KEY_DOES_NOT_FIT: ReadonlySet<string> = new Set(['22P02', '22003']);

/**
 * The caller's mistakes that reach us as library errors, as the client errors they are: a key the key column cannot
 * hold (`abc` or `99999999999` for an integer id) is a user that does not exist (404 app_user_not_found, the same
 * answer as a well-formed key without a row: the key is opaque to the caller, its column type is the layout's
 * business); a schema the layout does not cover is a bad `body.schema` (400 schema_not_in_layout). Anything else
 * is returned as it is.
 */
function clientMistake(ctx: ServiceContext, error: unknown, appUserId: string, schema: string | undefined): unknown {
  const layout = ctx.environment.appDatabase.layout;
  if (isSqlState(error) && KEY_DOES_NOT_FIT.has(error.code)) {
    ctx.logger.info({ sqlstate: error.code, key: appUserId, schema, keyColumn: layout.keyColumn }, 'ensure-credentials: the key does not fit the key column');
    return new ApiError(404, 'app_user_not_found', `No app user ${appUserId}${schema === undefined ? '' : ` in ${schema}`}: the key is not a value the key column ${layout.keyColumn} can hold`, {
      nextSteps: ["Check the key: it is the app user's " + layout.keyColumn + ' (e.g. its numeric id); only existing app users are provisioned.'],
      cause: error,
    });
  }
  if (error instanceof Error && (error as { code?: unknown }).code === 'no_usable_schema' && error.name === 'UserCredsError') {
    const rule = [
      ...(layout.schemas.names.length > 0 ? [`names ${layout.schemas.names.join(', ')}`] : []),
      ...(layout.schemas.like.length > 0 ? [`LIKE patterns ${layout.schemas.like.join(', ')}`] : []),
    ].join(' and ');
    ctx.logger.info({ schema, layout: layout.name }, 'ensure-credentials: the schema is not one the layout covers');
    return new ApiError(400, 'schema_not_in_layout', `body.schema: ${schema ?? '(the only one)'} is not a schema layout ${layout.name} covers with a usable ${layout.table} table`, {
      nextSteps: [
        `Name a schema the layout covers: appDatabase.layout.schemas of environment ${ctx.environment.name} selects ${rule || 'no schema'}, and it must hold a ${layout.table} table with the key column ${layout.keyColumn}.`,
        'Omit body.schema when the layout names exactly one schema.',
      ],
      cause: error,
    });
  }
  return error;
}

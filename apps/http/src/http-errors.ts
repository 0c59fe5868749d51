import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { EnsureCredentialsError, isResetError, type ResetErrorCode } from '@matrix-reset/reset-core';
import type { Logger } from 'pino';

/** The one error body every endpoint answers with. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'insufficient_scope' }),
      message: z.string().openapi({ example: 'This endpoint needs the scope credentials:ensure' }),
      nextSteps: z.array(z.string()),
    }),
  })
  .openapi('Error');

export type ErrorBody = z.infer<typeof errorSchema>;

/**
 * An expected failure answered as JSON: `status`, a stable `code`, a message saying what happened and `nextSteps`.
 * Throw it from a handler or middleware; the app's {@link onError} renders it. Messages never carry secrets.
 *
 * @example
 * ```ts
 * throw new ApiError(404, 'run_not_found', `No run ${id}`, { nextSteps: ['GET /v1/runs lists the runs.'] });
 * ```
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly nextSteps: readonly string[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: { nextSteps?: readonly string[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.nextSteps = Object.freeze([...(options.nextSteps ?? [])]);
    this.headers = Object.freeze({ ...options.headers });
  }
}

/** `{ error: { code, message, nextSteps } }`. */
export function errorBody(code: string, message: string, nextSteps: readonly string[] = []): ErrorBody {
  return { error: { code, message, nextSteps: [...nextSteps] } };
}

/** Renders an {@link ApiError} as the common JSON body with its status and headers. */
export function errorResponse(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  c.header('Cache-Control', 'no-store');
  return c.json(errorBody(error.code, error.message, error.nextSteps), error.status);
}

/** Seconds a caller should wait after a lock or contention answer. */
const RETRY_AFTER_SECONDS = '2';

const RESET_ERROR_STATUS: Readonly<Record<ResetErrorCode, ContentfulStatusCode>> = {
  config_not_found: 500,
  config_invalid: 400,
  environment_unknown: 404,
  delegated_auth: 501,
  stale_plan: 409,
  rolled_back: 409,
  locked: 503,
  confirmation_required: 400,
  step_failed: 500,
  drift_found: 409,
  unsupported: 501,
};

const ENSURE_STATUS: Readonly<Record<EnsureCredentialsError['reason'], ContentfulStatusCode>> = {
  app_user_not_found: 404,
  matrix_user_deactivated: 409,
  user_id_unknown: 422,
  schema_required: 400,
  write_contended: 503,
};

/** Synapse answered nothing, or said "later": the service is fine, its dependency is not. */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set(['connection_refused', 'timeout', 'connection_reset', 'dns_lookup_failed', 'network_error', 'rate_limited', 'server_error']);

/**
 * Maps anything thrown to an {@link ApiError}: reset-core's `ResetError` codes and `EnsureCredentialsError` reasons to
 * their statuses (not found 404, deactivated 409, schema required 400, locked/contended 503 with Retry-After,
 * delegated auth 501, ...), a library's typed error (a string `code` and `nextSteps`, e.g. Synapse unreachable) to
 * 502/503, and anything else to a 500 that says nothing about the internals (the log has the stack).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EnsureCredentialsError) {
    const status = ENSURE_STATUS[error.reason];
    return new ApiError(status, error.reason, error.message, {
      nextSteps: error.nextSteps,
      ...(status === 503 ? { headers: { 'Retry-After': RETRY_AFTER_SECONDS } } : {}),
      cause: error,
    });
  }
  if (isResetError(error)) {
    const status = RESET_ERROR_STATUS[error.code];
    return new ApiError(status, error.code, error.message, {
      nextSteps: error.nextSteps,
      ...(status === 503 ? { headers: { 'Retry-After': RETRY_AFTER_SECONDS } } : {}),
      cause: error,
    });
  }
  if (error instanceof HTTPException) {
    const code = error.status === 413 ? 'body_too_large' : error.status === 400 ? 'invalid_request' : 'http_error';
    // Hono's own refusals, e.g. "Malformed JSON in request body".
    return new ApiError(error.status as ContentfulStatusCode, code, error.message || 'Request failed', {
      ...(error.status === 400 ? { nextSteps: ['Send a well-formed body of the content type you declare; GET /openapi.json describes every request.'] } : {}),
      cause: error,
    });
  }
  if (isTypedLibraryError(error)) {
    const unavailable = UNAVAILABLE_CODES.has(error.code);
    return new ApiError(unavailable ? 503 : 502, `upstream_${error.code}`, error.message, {
      nextSteps: error.nextSteps,
      ...(unavailable ? { headers: { 'Retry-After': RETRY_AFTER_SECONDS } } : {}),
      cause: error,
    });
  }
  return new ApiError(500, 'internal_error', 'The service failed unexpectedly; the log has the details', { cause: error });
}

/** The libraries' expected errors (SynapseClientError, SecretsError, ...): a string `code` and `nextSteps`. Their messages are scrubbed. */
function isTypedLibraryError(error: unknown): error is Error & { code: string; nextSteps: readonly string[] } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && Array.isArray((error as { nextSteps?: unknown }).nextSteps);
}

/**
 * The app's error handler: renders every thrown error as the common JSON body. Unexpected errors (500) are logged
 * with their stack; expected ones are not (the access log line has the status).
 */
export function onError(logger: Logger): ErrorHandler {
  return (error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500 && apiError.code === 'internal_error') logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    else if (apiError.status >= 500) logger.warn({ code: apiError.code, method: c.req.method, path: c.req.path, msg: apiError.message }, 'dependency failed');
    return errorResponse(c, apiError);
  };
}

/** JSON 404 for paths nothing serves. */
export function notFound(c: Context): Response {
  return errorResponse(c, new ApiError(404, 'not_found', `No route ${c.req.method} ${c.req.path}`, { nextSteps: ['GET /openapi.json lists every endpoint.'] }));
}

/** `body.schema`, `params.appUserId`, `query.refresh`; the top of a target is just its name. */
function fieldName(target: string, path: readonly PropertyKey[]): string {
  const where = { json: 'body', form: 'body', param: 'params', query: 'query', header: 'headers', cookie: 'cookies' }[target] ?? target;
  let out = where;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

/**
 * The `defaultHook` of every router ({@link createRouter}): a request that fails its zod schema answers 400
 * `invalid_request` naming each field and what is wrong with it.
 */
export function validationHook(result: { success: boolean; target: string; error?: unknown }, c: Context): Response | undefined {
  if (result.success) return undefined;
  const issues = (result.error as z.ZodError | undefined)?.issues ?? [];
  const problems = issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
    const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
    return `${fieldName(result.target, path)}: ${message}`;
  });
  return errorResponse(
    c,
    new ApiError(400, 'invalid_request', problems.length > 0 ? problems.join('; ') : `Invalid ${result.target}`, {
      nextSteps: ['Fix the fields named above; GET /openapi.json describes every request.'],
    }),
  );
}

/** OpenAPI response entries in the common error shape, for `createRoute({ responses: { ...errorResponses(401, 403) } })`. */
export function errorResponses(...statuses: number[]): Record<number, { description: string; content: { 'application/json': { schema: typeof errorSchema } } }> {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (the message names the field)',
    401: 'No valid credentials (WWW-Authenticate: Bearer)',
    403: 'The token lacks the scope this endpoint needs',
    404: 'Not found',
    409: 'Conflicts with the current state',
    413: 'Body larger than service.bodyLimitBytes',
    415: 'Unsupported content type',
    422: 'The request is valid but cannot be served as the data stands',
    429: 'Rate limit for this token reached (Retry-After)',
    501: 'Not supported on this homeserver',
    502: 'A dependency answered with an error',
    503: 'A dependency is unavailable or busy (Retry-After)',
  };
  return Object.fromEntries(
    statuses.map((status) => [status, { description: descriptions[status] ?? 'Error', content: { 'application/json': { schema: errorSchema } } }]),
  );
}

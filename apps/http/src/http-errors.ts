import type { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { TrieRouter } from 'hono/router/trie-router';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { databaseUnavailable, isResetError } from '@matrix-reset/reset-core';
import type { Logger } from 'pino';
import { errorStatus, type ErrorStatus } from './error-statuses.ts';
import type { ErrorBody } from './schemas/error.ts';

/**
 * An expected failure answered as JSON: `status`, a stable `code`, a message saying what happened and `nextSteps`.
 * Throw it from a handler or middleware for a refusal of the service's own (reset-core's errors are answered from
 * the table in error-statuses.ts); the app's {@link onError} renders it. Messages never carry secrets.
 *
 * @example
 * ```ts
 * throw new ApiError(429, 'too_many_streams', 'Too many event streams', { headers: { 'Retry-After': '10' } });
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

/** An error with its code's answer from the table: the status, and Retry-After when the table gives one. */
function answered(answer: ErrorStatus, code: string, error: Error, nextSteps: readonly string[], message = error.message): ApiError {
  return new ApiError(answer.status, code, message, {
    nextSteps,
    ...(answer.retryAfterSeconds === undefined ? {} : { headers: { 'Retry-After': String(answer.retryAfterSeconds) } }),
    cause: error,
  });
}

/** Where the service's Synapse admin token comes from, for the next steps of an error about that token. */
export interface AdminTokenHint {
  /** The references the environment's `adminToken` names, in order (e.g. `ssm:/openmeet/dev/matrix-admin-access-token`). */
  readonly references: readonly string[];
  /** The environment's name and the config file, to say where those references are set. */
  readonly environment: string;
  readonly configPath: string;
}

/** What {@link toApiError} may use to say more than the error itself knows. */
export interface ErrorContext {
  readonly adminToken?: AdminTokenHint;
}

/**
 * Maps anything thrown to an {@link ApiError}: an `ApiError` as it is; reset-core's `ResetError` (EnsureCredentialsError
 * included) and a library's typed error (a string `code` and `nextSteps`, answered as `upstream_<code>`, e.g. Synapse
 * unreachable) by the one table, {@link errorStatus}; Hono's own refusals (400, 413, 415) as such; the app database
 * unreachable as 503 `database_unavailable`; anything else as a 500 that says nothing about the internals (the log
 * has the stack).
 */
export function toApiError(error: unknown, context: ErrorContext = {}): ApiError {
  if (error instanceof ApiError) return error;
  if (isResetError(error)) return answered(errorStatus(error.code), error.code, error, error.nextSteps);
  if (error instanceof HTTPException) {
    if (error.status === 415) {
      // The JSON validator's refusal of a body declared as something else.
      return new ApiError(415, 'unsupported_media_type', 'This endpoint takes a JSON body', {
        nextSteps: ['Send the body as JSON with the header `content-type: application/json`; GET /openapi.json describes every request.'],
        cause: error,
      });
    }
    const code = error.status === 413 ? 'body_too_large' : error.status === 400 ? 'invalid_request' : 'http_error';
    // Hono's own refusals, e.g. "Malformed JSON in request body".
    return new ApiError(error.status as ContentfulStatusCode, code, error.message || 'Request failed', {
      ...(error.status === 400 ? { nextSteps: ['Send a well-formed body of the content type you declare; GET /openapi.json describes every request.'] } : {}),
      cause: error,
    });
  }
  if (isTypedLibraryError(error)) {
    const code = `upstream_${error.code}` as const;
    const adminToken = ADMIN_TOKEN_MESSAGES[error.code];
    if (adminToken !== undefined) return answered(errorStatus(code), code, error, adminTokenNextSteps(context.adminToken), adminToken);
    // The libraries' messages name the request ("GET http://10.0.0.7:8008/_matrix/... was refused"): an internal
    // address is for the log (the cause keeps it), not for the caller.
    return answered(errorStatus(code), code, error, error.nextSteps.map(withoutAddresses), withoutAddresses(error.message));
  }
  const database = databaseUnavailable(error);
  if (database !== undefined) {
    // The driver's message names the host, port, database or role: only the code goes out.
    return answered(errorStatus('database_unavailable'), 'database_unavailable', error instanceof Error ? error : new Error(String(error)), [
      'Retry after Retry-After seconds; GET /readyz/local says whether this instance reaches its database.',
      "For the operator: check that Postgres is up, reachable and accepting connections at the environment's appDatabase.url (the service log has the code).",
    ], `The app database is unavailable (${database})`);
  }
  return new ApiError(500, 'internal_error', 'The service failed unexpectedly; the log has the details', { cause: error });
}

/** A message with every URL (and the method before it) and IP address replaced by what it was: a dependency's address. */
function withoutAddresses(message: string): string {
  return message
    .replace(/\b(?:GET|POST|PUT|DELETE|PATCH|HEAD) https?:\/\/\S+/g, 'a request to Synapse')
    .replace(/https?:\/\/[^\s)"]+/g, 'its configured address')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\[[0-9a-f:]+\](?::\d+)?/gi, 'its address');
}

/** What synapse-admin's codes say when, escaping a route, they are about the service's own admin token (never the caller's). */
const ADMIN_TOKEN_MESSAGES: Readonly<Record<string, string>> = {
  unknown_token: "Synapse refused the service's admin token (M_UNKNOWN_TOKEN): it was logged out, its device deleted, or the server was reset. Your bearer token was accepted.",
  token_soft_logout: "Synapse refused the service's admin token: it expired (soft logout). Your bearer token was accepted.",
  not_admin: "The service's admin token belongs to a Matrix user who is not a server admin. Your bearer token was accepted.",
  missing_token: 'The service has no Synapse admin token: none of the places it reads one from holds a value. Your bearer token was accepted.',
};

function adminTokenNextSteps(hint: AdminTokenHint | undefined): string[] {
  const where =
    hint === undefined
      ? "the references under the environment's adminToken in matrix-reset.yaml"
      : `${hint.references.join(', ')} (environments.${hint.environment}.adminToken in ${hint.configPath})`;
  return [
    `The service reads its admin token from ${where}: store a working server admin's access token there (\`matrix-reset local bootstrap\` for a local Synapse). No restart is needed: the service reads them again when Synapse refuses its token (at most every 5 s).`,
    'GET /readyz shows whether Synapse accepts the admin token (its synapse check).',
  ];
}

/** The libraries' expected errors (SynapseClientError, SecretsError, ...): a string `code` and `nextSteps`. Their messages are scrubbed. */
function isTypedLibraryError(error: unknown): error is Error & { code: string; nextSteps: readonly string[] } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && Array.isArray((error as { nextSteps?: unknown }).nextSteps);
}

/**
 * The app's error handler: renders every thrown error as the common JSON body. Unexpected errors (500) are logged
 * with their stack; a dependency failure (another 5xx) is a warning; a client's error (4xx) is logged at info with its code.
 */
export function onError(logger: Logger, context: ErrorContext = {}): ErrorHandler {
  return (error, c) => {
    const apiError = toApiError(error, context);
    logAnswer(logger, c, error, apiError);
    return errorResponse(c, apiError);
  };
}

/**
 * Logs how a request's failure was answered: an unexpected error (500) with its stack; a dependency failure (another
 * 5xx) as a warning with the database's code when that was the cause; a client's error (4xx) at info with its code.
 */
export function logAnswer(logger: Logger, c: Context, error: unknown, apiError: ApiError): void {
  if (apiError.status >= 500 && apiError.code === 'internal_error') logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
  else if (apiError.status >= 500) {
    const cause = databaseUnavailable(error);
    logger.warn({ code: apiError.code, ...(cause === undefined ? {} : { cause }), method: c.req.method, path: c.req.path, error: apiError.message }, 'dependency failed');
  } else logger.info({ code: apiError.code, status: apiError.status, method: c.req.method, path: c.req.path }, 'request refused');
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The app's not-found handler: 405 `method_not_allowed` with `Allow` when the path is served under other methods
 * (GET implies HEAD), else 404 `not_found`; both in the common JSON shape. `routes` is read on the first miss, once
 * every route is mounted.
 */
export function notFoundHandler(routes: () => readonly { method: string; path: string }[]): NotFoundHandler {
  let router: TrieRouter<string> | undefined;
  return (c) => {
    if (router === undefined) {
      router = new TrieRouter<string>();
      for (const route of routes()) if (route.method !== 'ALL') router.add(route.method, route.path, route.method);
    }
    const paths = router;
    const allowed = METHODS.filter((method) => paths.match(method, c.req.path)[0].length > 0);
    if (allowed.length > 0) {
      const allow = allowed.includes('GET') ? [...allowed.slice(0, allowed.indexOf('GET') + 1), 'HEAD', ...allowed.slice(allowed.indexOf('GET') + 1)] : allowed;
      return errorResponse(
        c,
        new ApiError(405, 'method_not_allowed', `${c.req.path} does not take ${c.req.method}; it takes ${allow.join(', ')}`, {
          nextSteps: [`Call it with ${allow.filter((m) => m !== 'HEAD').join(' or ')}; GET /openapi.json lists every endpoint.`],
          headers: { Allow: allow.join(', ') },
        }),
      );
    }
    return errorResponse(c, new ApiError(404, 'not_found', `No route ${c.req.method} ${c.req.path}`, { nextSteps: ['GET /openapi.json lists every endpoint.'] }));
  };
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

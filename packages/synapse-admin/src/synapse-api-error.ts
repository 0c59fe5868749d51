import { redactSecrets } from './redact-secrets.ts';
import { SynapseClientError, type SynapseErrorCode } from './synapse-client-error.ts';

/**
 * Synapse answered, and the answer was an error (or a success whose body was not what the API promises).
 *
 * - `route_missing`: JSON 404/405 `M_UNRECOGNIZED`, the route does not exist here (delegated auth, a worker that
 *   does not serve it, an old Synapse);
 * - `not_found`: `M_NOT_FOUND`, the route exists and the user/room/device does not;
 * - `proxy_blocked`: a 404 whose body is not JSON, a reverse proxy in front of Synapse answered instead;
 * - `rate_limited`: 429, with `retryAfterMs` from `Retry-After` (preferred) or `retry_after_ms`.
 *
 * @example
 * ```ts
 * try { await client.admin.getUser('@ghost:example.org'); }
 * catch (error) {
 *   if (error instanceof SynapseApiError && error.code === 'proxy_blocked') console.error(error.nextSteps);
 * }
 * ```
 */
export class SynapseApiError extends SynapseClientError {
  override name = 'SynapseApiError';
  readonly status: number;
  /** The Matrix `errcode`, when the body was a Matrix error. */
  readonly errcode: string | undefined;
  /** The server's `error` text, scrubbed of secrets. */
  readonly serverMessage: string | undefined;
  /** `soft_logout` of an `M_UNKNOWN_TOKEN`: true when the token expired and a refresh could recover the session. */
  readonly softLogout: boolean;
  /** How long the server asked us to wait, for 429 answers. */
  readonly retryAfterMs: number | undefined;
  declare readonly method: string;
  declare readonly path: string;

  constructor(options: {
    code: SynapseErrorCode;
    message: string;
    nextSteps: readonly string[];
    method: string;
    path: string;
    status: number;
    errcode: string | undefined;
    serverMessage: string | undefined;
    softLogout: boolean;
    retryAfterMs: number | undefined;
  }) {
    super(options);
    this.status = options.status;
    this.errcode = options.errcode;
    this.serverMessage = options.serverMessage;
    this.softLogout = options.softLogout;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface ErrorResponse {
  method: string;
  /** Path actually requested, without query string. */
  path: string;
  /** Route template (`/_synapse/admin/v2/users/{userId}`), to recognise which call failed. */
  route: string;
  status: number;
  retryAfterHeader: string | string[] | undefined;
  contentType: string | string[] | undefined;
  bodyText: string;
  secrets: readonly (string | undefined)[];
}

/**
 * Parses `Retry-After` (delta-seconds or HTTP date) into milliseconds from now.
 *
 * @example
 * ```ts
 * parseRetryAfterHeader('5'); // 5000
 * ```
 */
export function parseRetryAfterHeader(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface MatrixErrorBody {
  errcode?: unknown;
  error?: unknown;
  soft_logout?: unknown;
  retry_after_ms?: unknown;
}

function parseJsonObject(text: string): MatrixErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as MatrixErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

const ADMIN_PREFIX = '/_synapse/admin';

function classify(
  response: ErrorResponse,
  errcode: string | undefined,
  serverMessage: string | undefined,
  softLogout: boolean,
  isJson: boolean,
): { code: SynapseErrorCode; nextSteps: string[] } {
  const { status, route } = response;
  const isAdmin = route.startsWith(ADMIN_PREFIX);
  if (!isJson) {
    if (status === 404) {
      return {
        code: 'proxy_blocked',
        nextSteps: [
          isAdmin
            ? 'A reverse proxy answered instead of Synapse: it probably does not expose /_synapse/admin. Call Synapse directly (a port-forward or the in-cluster Service), or allow /_synapse/admin on the proxy for the caller.'
            : 'A reverse proxy answered instead of Synapse: check that baseUrl points at Synapse (not a web app) and that the proxy forwards /_matrix.',
        ],
      };
    }
    if (status >= 500) {
      return {
        code: 'server_error',
        nextSteps: ['Something in front of Synapse answered with a non-JSON error: check that Synapse is up and the proxy can reach it.'],
      };
    }
    return {
      code: 'unexpected_response',
      nextSteps: ['The answer was not a Matrix JSON error: check that baseUrl points at Synapse and not at a proxy or web app.'],
    };
  }
  switch (errcode) {
    case 'M_MISSING_TOKEN':
      return { code: 'missing_token', nextSteps: ['Pass an access token: createSynapseClient({ accessToken }) or client.withAccessToken(token).'] };
    case 'M_UNKNOWN_TOKEN':
      return softLogout
        ? { code: 'token_soft_logout', nextSteps: ['The token expired; refresh it or mint a new one (login-as or password login).'] }
        : {
            code: 'unknown_token',
            nextSteps: ['The token is not valid on this server (logged out, device deleted, or the server was reset). Mint a new one.'],
          };
    case 'M_USER_DEACTIVATED':
      return { code: 'user_deactivated', nextSteps: ['The account is deactivated; it cannot log in or use tokens again.'] };
    case 'M_USER_LOCKED':
      return { code: 'user_locked', nextSteps: ['A server admin locked the account: Synapse refuses its tokens until it is unlocked (admin.upsertUser(userId, { locked: false })).'] };
    case 'M_UNRECOGNIZED':
      return {
        code: 'route_missing',
        nextSteps: [
          `This Synapse does not serve ${response.method} ${route}: it may delegate auth to the Matrix Authentication Service, be a worker that does not handle the route, or be too old.`,
          'Run client.detectAuthMode() to see which auth mode the server uses.',
        ],
      };
    case 'M_NOT_FOUND':
      return { code: 'not_found', nextSteps: ['The user, room or device does not exist on this server.'] };
    case 'M_LIMIT_EXCEEDED':
      return {
        code: 'rate_limited',
        nextSteps: [
          'Wait retryAfterMs and retry, or lift the per-user limit with client.admin.overrideRateLimit(userId).',
          'Login and registration limits are per IP and cannot be overridden per user: mint tokens with login-as instead of password logins.',
        ],
      };
    case 'M_USER_IN_USE':
      return { code: 'user_in_use', nextSteps: ['The user already exists: pass existsOk, or pick another username.'] };
    case 'M_INVALID_USERNAME':
      return { code: 'invalid_username', nextSteps: ['Use only a-z, 0-9 and ._=-/+ in the localpart.'] };
    case 'M_EXCLUSIVE':
      return { code: 'exclusive_namespace', nextSteps: ['An application service owns this user namespace; pick another username.'] };
    case 'M_FORBIDDEN':
      if (serverMessage !== undefined && /not a server admin/i.test(serverMessage)) {
        return { code: 'not_admin', nextSteps: ['Use the access token of a server admin for admin API calls.'] };
      }
      if (route.endsWith('/login') && !isAdmin) {
        return { code: 'invalid_credentials', nextSteps: ['Check the user id and password.'] };
      }
      return { code: 'forbidden', nextSteps: ['The server refused this request for this user.'] };
  }
  if (serverMessage !== undefined) {
    if (status === 403 && /HMAC incorrect/i.test(serverMessage)) {
      return {
        code: 'hmac_incorrect',
        nextSteps: [
          'The shared secret does not match registration_shared_secret (or the file at registration_shared_secret_path, whitespace-stripped) of this Synapse.',
        ],
      };
    }
    if (/unrecognised nonce/i.test(serverMessage)) {
      return {
        code: 'nonce_unrecognised',
        nextSteps: ['Nonces are single-use, expire after 60 s and live in one process: fetch a fresh one and send the POST to the same process.'],
      };
    }
    if (/shared secret registration is not enabled/i.test(serverMessage)) {
      return {
        code: 'shared_secret_registration_disabled',
        nextSteps: ['Set registration_shared_secret or registration_shared_secret_path in homeserver.yaml, or provision users another way.'],
      };
    }
    if (status === 400 && /server notices are not enabled/i.test(serverMessage)) {
      return {
        code: 'server_notices_disabled',
        nextSteps: ['Add a server_notices section (at least system_mxid_localpart) to homeserver.yaml and restart Synapse.'],
      };
    }
    if (status === 400 && /requires using PostgreSQL/i.test(serverMessage)) {
      return { code: 'postgres_required', nextSteps: ['This endpoint only works on a Synapse whose database is PostgreSQL.'] };
    }
    if (status === 503 && /introspect/i.test(serverMessage)) {
      return {
        code: 'auth_service_unreachable',
        nextSteps: ['Synapse delegates auth and cannot reach the Matrix Authentication Service: check that it is running and reachable from Synapse.'],
      };
    }
  }
  if (status === 404 || status === 405) {
    return { code: 'route_missing', nextSteps: [`This server does not serve ${response.method} ${route}.`] };
  }
  if (status >= 500) {
    return { code: 'server_error', nextSteps: ['Synapse failed internally; check its logs. Idempotent calls were already retried.'] };
  }
  if (status === 401) {
    return { code: 'unknown_token', nextSteps: ['The server did not accept the credentials.'] };
  }
  if (status === 403) {
    return { code: 'forbidden', nextSteps: ['The server refused this request.'] };
  }
  return { code: 'bad_request', nextSteps: ['The server rejected the request; see serverMessage.'] };
}

/**
 * Builds the {@link SynapseApiError} for a non-2xx answer. Never includes the body unless it was a Matrix error,
 * and scrubs `secrets` from everything.
 */
export function toApiError(response: ErrorResponse): SynapseApiError {
  const contentType = (Array.isArray(response.contentType) ? response.contentType[0] : response.contentType) ?? '';
  const body = contentType.includes('html') ? undefined : parseJsonObject(response.bodyText);
  const isJson = body !== undefined;
  const errcode = typeof body?.errcode === 'string' ? body.errcode : undefined;
  const serverMessage = typeof body?.error === 'string' ? redactSecrets(body.error, response.secrets) : undefined;
  const softLogout = body?.soft_logout === true;
  const bodyRetry = typeof body?.retry_after_ms === 'number' && body.retry_after_ms >= 0 ? body.retry_after_ms : undefined;
  const retryAfterMs = response.status === 429 ? (parseRetryAfterHeader(response.retryAfterHeader) ?? bodyRetry) : undefined;
  const { code, nextSteps } = classify(response, errcode, serverMessage, softLogout, isJson);
  const said = isJson
    ? `${errcode ?? 'no errcode'}${serverMessage === undefined ? '' : `: ${serverMessage}`}`
    : `a non-JSON body${contentType === '' ? '' : ` (${contentType})`}`;
  const wait = retryAfterMs === undefined ? '' : ` (retry after ${retryAfterMs} ms)`;
  return new SynapseApiError({
    code,
    nextSteps,
    message: redactSecrets(`${response.method} ${response.path} answered ${response.status} with ${said}${wait} [${code}]`, response.secrets),
    method: response.method,
    // A path can carry a secret of its own (a registration token).
    path: redactSecrets(response.path, response.secrets),
    status: response.status,
    errcode,
    serverMessage,
    softLogout,
    retryAfterMs,
  });
}

/** A 2xx answer whose body does not have the shape the API documents. */
export function invalidResponseError(
  context: { method: string; path: string; status: number; secrets: readonly (string | undefined)[] },
  problem: string,
): SynapseApiError {
  return new SynapseApiError({
    code: 'invalid_response',
    nextSteps: ['The server answered with an unexpected shape: check that baseUrl points at Synapse and its version is supported.'],
    message: redactSecrets(`${context.method} ${context.path} answered ${context.status} with an unexpected body: ${problem}`, context.secrets),
    method: context.method,
    path: context.path,
    status: context.status,
    errcode: undefined,
    serverMessage: undefined,
    softLogout: false,
    retryAfterMs: undefined,
  });
}

import type { ResetErrorCode } from '@matrix-reset/reset-core';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** How the service answers one error code: the HTTP status, and for "try again soon" the seconds of `Retry-After`. */
export interface ErrorStatus {
  readonly status: ContentfulStatusCode;
  readonly retryAfterSeconds?: number;
}

/** A dependency busy or unreachable for a moment (a user's provisioning queue, Synapse, the app database). */
const MOMENT_SECONDS = 2;
/** The environment's lock: a run holds it for minutes, but a start that lost a race finds it free again soon. */
const LOCK_SECONDS = 5;

const STATUSES = {
  // reset-core's ResetError codes (EnsureCredentialsError's too: its code is its reason).
  config_not_found: { status: 500 },
  config_invalid: { status: 400 },
  environment_unknown: { status: 404 },
  delegated_auth: { status: 501 },
  stale_plan: { status: 409 },
  rolled_back: { status: 409 },
  locked: { status: 409, retryAfterSeconds: LOCK_SECONDS },
  confirmation_required: { status: 428 },
  step_failed: { status: 500 },
  drift_found: { status: 409 },
  plan_not_found: { status: 404 },
  run_not_found: { status: 404 },
  app_user_not_found: { status: 404 },
  matrix_user_deactivated: { status: 409 },
  user_id_unknown: { status: 422 },
  schema_required: { status: 400 },
  // A well-formed schema name the layout does not cover: there is no such tenant (as an unknown app user).
  schema_not_in_layout: { status: 404 },
  write_contended: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  database_unavailable: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  // Synapse's database still has sessions (a process not stopped): the state, not the request, is in the way.
  database_in_use: { status: 409 },
  // The environment cannot do what the caller asked (e.g. a full reset without Kubernetes): the caller's choice, not an outage.
  environment_incapable: { status: 422 },
  unsupported: { status: 501 },
  // The libraries' typed errors (a string code and nextSteps), answered as `upstream_<code>`; any code not listed
  // here is 502 (see errorStatus). Synapse unreachable, or saying "later":
  upstream_connection_refused: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  upstream_timeout: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  upstream_connection_reset: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  upstream_dns_lookup_failed: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  upstream_network_error: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  upstream_rate_limited: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  upstream_server_error: { status: 503, retryAfterSeconds: MOMENT_SECONDS },
  // Synapse refusing the service's own admin token (never the caller's: the bearer token was accepted).
  upstream_unknown_token: { status: 502 },
  upstream_token_soft_logout: { status: 502 },
  upstream_not_admin: { status: 502 },
  upstream_missing_token: { status: 502 },
} as const satisfies Record<ResetErrorCode, ErrorStatus> & Record<`upstream_${string}`, ErrorStatus>;

/**
 * The one table from an error code to its HTTP answer: every reset-core code exactly once (the type says so), and
 * the library codes the service meets, prefixed `upstream_`. The service's own refusals (`too_many_streams`,
 * `stopping`, a raw driver error meaning `database_unavailable`, request validation) are `ApiError`s carrying their status.
 */
export const ERROR_STATUSES: Readonly<Record<keyof typeof STATUSES, ErrorStatus>> = Object.freeze(STATUSES);

/** The answer of a library error's code not in {@link ERROR_STATUSES}: its dependency answered with an error. */
const UPSTREAM_DEFAULT: ErrorStatus = Object.freeze({ status: 502 });

/**
 * The answer for `code`: its entry in {@link ERROR_STATUSES}; 502 for another `upstream_` code.
 *
 * @example
 * ```ts
 * errorStatus('locked'); // { status: 409, retryAfterSeconds: 5 }
 * errorStatus('upstream_forbidden'); // { status: 502 }
 * ```
 */
export function errorStatus(code: ResetErrorCode | `upstream_${string}`): ErrorStatus {
  return Object.hasOwn(ERROR_STATUSES, code) ? ERROR_STATUSES[code as keyof typeof STATUSES] : UPSTREAM_DEFAULT;
}

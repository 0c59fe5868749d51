import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseNetworkError } from './synapse-network-error.ts';

/**
 * How safe a call is to send again:
 * - `idempotent`: GETs, PUTs keyed by a transaction id, upserts. Retried on 429, 5xx and dropped connections.
 * - `rate-limit-only`: a 429 means the server did nothing, so only 429s are retried (login-as, createRoom,
 *   password login when the caller opts in).
 * - `never`: not repeated at all (a registration POST: its nonce is spent).
 */
export type Idempotency = 'idempotent' | 'rate-limit-only' | 'never';

/** Retry bounds, all optional. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3; 0 disables retrying. */
  maxRetries?: number;
  /** The longest single wait the client accepts; a 429 asking for longer is thrown at once. Default 30 000. */
  maxRetryWaitMs?: number;
  /** First backoff for 5xx / dropped connections, doubled per attempt with jitter. Default 200. */
  backoffBaseMs?: number;
  /** Cap of the backoff. Default 5 000. */
  backoffMaxMs?: number;
}

export type RetryPolicy = Readonly<Required<RetryOptions>>;

/**
 * Fills in the defaults of {@link RetryOptions}.
 *
 * @example
 * ```ts
 * const policy = resolveRetryPolicy({ maxRetries: 0 });
 * policy.maxRetryWaitMs; // 30000
 * ```
 */
export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = {
    maxRetries: options.maxRetries ?? 3,
    maxRetryWaitMs: options.maxRetryWaitMs ?? 30_000,
    backoffBaseMs: options.backoffBaseMs ?? 200,
    backoffMaxMs: options.backoffMaxMs ?? 5_000,
  };
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`retry.${key} must be a non-negative number`);
  }
  return Object.freeze(policy);
}

const NETWORK_RETRYABLE = new Set(['connection_reset', 'timeout']);

function backoff(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (retryNumber - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * How long to wait before retry number `retryNumber` (1 = first retry) after `error`, or `undefined` when the
 * call must not be repeated.
 *
 * @example
 * ```ts
 * const wait = retryDelayMs(resolveRetryPolicy(), error, 'idempotent', 1);
 * if (wait === undefined) throw error;
 * ```
 */
export function retryDelayMs(
  policy: RetryPolicy,
  error: unknown,
  idempotency: Idempotency,
  retryNumber: number,
  random: () => number = Math.random,
): number | undefined {
  if (idempotency === 'never' || retryNumber > policy.maxRetries) return undefined;
  if (error instanceof SynapseApiError) {
    if (error.status === 429) {
      const wait = error.retryAfterMs ?? backoff(policy, retryNumber, random);
      return wait > policy.maxRetryWaitMs ? undefined : wait;
    }
    if (idempotency === 'idempotent' && error.status >= 500 && error.status !== 501 && error.code !== 'invalid_response') {
      return backoff(policy, retryNumber, random);
    }
    return undefined;
  }
  if (error instanceof SynapseNetworkError && idempotency === 'idempotent' && NETWORK_RETRYABLE.has(error.code)) {
    return backoff(policy, retryNumber, random);
  }
  return undefined;
}

/** The answer of {@link TokenBucketLimiter.take}. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * A token bucket per key (the service token's name), in this process only: `burst` requests at once, refilled at
 * `perMinute`. Several instances each keep their own buckets, so the total rate is at most instances x perMinute.
 *
 * @example
 * ```ts
 * const limiter = new TokenBucketLimiter({ perMinute: 600, burst: 60 });
 * const decision = limiter.take('openmeet-api');
 * if (!decision.ok) console.error(`retry in ${decision.retryAfterSeconds}s`);
 * ```
 */
export class TokenBucketLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: { perMinute: number; burst: number; now?: () => number }) {
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Takes one request from `key`'s bucket, or says how long until one is available. */
  take(key: string): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000)) };
  }
}

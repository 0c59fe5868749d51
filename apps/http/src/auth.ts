import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServiceScope, ServiceTokenConfig } from '@matrix-reset/reset-core';
import { ApiError } from './http-errors.ts';
import { TokenBucketLimiter } from './rate-limit.ts';
import { SessionSigner, type SessionClaims } from './session-cookie.ts';

/** Where logouts are kept, shared by every instance (reset-core's Postgres store in the service). */
export interface SessionRevocations {
  revoke(sessionId: string, expiresAt: Date): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

/** What a service token may do. */
export type Scope = ServiceScope;

/** Who is calling: the token's name (never the token), its scopes, and whether it came as a bearer or a session cookie. */
export interface Principal {
  readonly tokenName: string;
  readonly scopes: readonly Scope[];
  readonly via: 'bearer' | 'session';
}

/** The realm every `WWW-Authenticate: Bearer` answer names. */
export const REALM = 'Bearer realm="matrix-reset"';

/**
 * Checks bearer tokens against the configured SHA-256 hashes (constant time, every entry compared), browser session
 * cookies against their HMAC and the logouts in `revocations`, and takes from each token's rate-limit bucket.
 */
export class Authenticator {
  readonly #tokens: readonly { entry: ServiceTokenConfig; digest: Buffer; fingerprint: string }[];
  readonly sessions: SessionSigner;
  readonly #limiter: TokenBucketLimiter;
  readonly #now: () => number;
  readonly #revocations: SessionRevocations;

  constructor(options: {
    tokens: readonly ServiceTokenConfig[];
    sessionKey: Buffer | string;
    rateLimit: { perMinute: number; burst: number };
    revocations: SessionRevocations;
    now?: () => number;
  }) {
    this.sessions = new SessionSigner(options.sessionKey);
    this.#tokens = options.tokens.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex'), fingerprint: this.sessions.fingerprint(entry.sha256) }));
    this.#limiter = new TokenBucketLimiter(options.rateLimit);
    this.#now = options.now ?? Date.now;
    this.#revocations = options.revocations;
  }

  /** The configured entry whose hash matches `token`, or undefined. Compares against every entry in constant time. */
  verifyBearer(token: string): ServiceTokenConfig | undefined {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: ServiceTokenConfig | undefined;
    for (const { entry, digest: expected } of this.#tokens) {
      if (timingSafeEqual(digest, expected) && found === undefined) found = entry;
    }
    return found;
  }

  /**
   * A session cookie for the configured token `tokenName`, valid until `expires` (ms since the epoch): it names the
   * token and carries the fingerprint of its hash, so it ends when the token is rotated or removed.
   *
   * @example
   * setCookie(c, SESSION_COOKIE, auth.issueSession(principal.tokenName, Date.now() + SESSION_TTL_SECONDS * 1000));
   */
  issueSession(tokenName: string, expires: number): string {
    const token = this.#tokens.find((t) => t.entry.name === tokenName);
    if (token === undefined) throw new RangeError(`no configured token ${tokenName}`);
    return this.sessions.sign({ id: SessionSigner.newSessionId(), tokenName, fingerprint: token.fingerprint, expires });
  }

  /**
   * Ends the session of a genuine cookie on every instance (its id goes to the revocation store until it would have
   * expired). A cookie that is not genuine or already expired ends nothing: it authorizes nothing anyway.
   */
  async endSession(cookie: string): Promise<void> {
    const claims = this.sessions.verify(cookie, this.#now());
    if (claims !== undefined) await this.#revocations.revoke(claims.id, new Date(claims.expires));
  }

  /**
   * The token entry named by a genuine, unexpired session cookie: still configured with the same hash as when the
   * session began (a rotated token's sessions end), still holding `read`. Logouts are checked by {@link authenticate}.
   */
  verifySession(cookie: string): ServiceTokenConfig | undefined {
    return this.#session(cookie)?.entry;
  }

  #session(cookie: string): { entry: ServiceTokenConfig; claims: SessionClaims } | undefined {
    const claims = this.sessions.verify(cookie, this.#now());
    if (claims === undefined) return undefined;
    const token = this.#tokens.find((t) => t.entry.name === claims.tokenName);
    if (token === undefined) return undefined;
    const given = Buffer.from(claims.fingerprint, 'utf8');
    const expected = Buffer.from(token.fingerprint, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return token.entry.scopes.includes('read') ? { entry: token.entry, claims } : undefined;
  }

  /**
   * The principal of a service token given as such (a bearer's, or the one a sign-in form posts), or a 401
   * `invalid_token` saying `what` is not accepted.
   */
  principalOfToken(token: string, what = 'The token'): Principal {
    const entry = this.verifyBearer(token);
    if (entry === undefined) throw unauthenticated('invalid_token', `${what} is not one this service accepts`, 'invalid_token');
    return Object.freeze({ tokenName: entry.name, scopes: entry.scopes, via: 'bearer' as const });
  }

  /** Takes one request from the token's bucket; throws 429 with Retry-After when it is empty. */
  spend(tokenName: string): void {
    const decision = this.#limiter.take(tokenName);
    if (!decision.ok) {
      throw new ApiError(429, 'rate_limited', `Token ${tokenName} made more requests than service.rateLimit allows`, {
        headers: { 'Retry-After': String(decision.retryAfterSeconds) },
        nextSteps: [`Retry after ${decision.retryAfterSeconds} s; raise service.rateLimit (perMinute, burst) if this caller needs more.`],
      });
    }
  }

  /**
   * Who the request comes from, or a 401. Bearer wins over a cookie; a cookie only ever yields `read`, and only while
   * no instance has logged it out (that check reads the revocation store: it fails as the store does).
   */
  async authenticate(authorization: string | undefined, cookie: string | undefined): Promise<Principal> {
    if (authorization !== undefined) {
      const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
      if (match === null || match[1]?.toLowerCase() !== 'bearer') {
        throw unauthenticated('invalid_request', 'The Authorization header must be "Bearer <token>"');
      }
      return this.principalOfToken(match[2] ?? '', 'The bearer token');
    }
    if (cookie !== undefined) {
      const session = this.#session(cookie);
      if (session === undefined || (await this.#revocations.isRevoked(session.claims.id))) {
        throw unauthenticated('session_invalid', 'The session cookie is expired, logged out or not valid', undefined, ['POST /session with a token that has the read scope to log in again.']);
      }
      return Object.freeze({ tokenName: session.entry.name, scopes: ['read'] as const, via: 'session' as const });
    }
    throw unauthenticated('unauthenticated', 'This endpoint needs Authorization: Bearer <token>');
  }
}

function unauthenticated(code: string, message: string, bearerError?: string, nextSteps?: string[]): ApiError {
  return new ApiError(401, code, message, {
    headers: { 'WWW-Authenticate': bearerError === undefined ? REALM : `${REALM}, error="${bearerError}"` },
    nextSteps: nextSteps ?? ['Send a token from service.tokens: `matrix-reset service token --name <name> --scope <scope> --out <file>` makes one.'],
  });
}

/** True when the request's principal holds `scope` (call after {@link requireScope}). */
export function hasScope(principal: Principal | undefined, scope: Scope): boolean {
  return principal?.scopes.includes(scope) === true;
}

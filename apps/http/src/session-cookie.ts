import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie holding a browser session. */
export const SESSION_COOKIE = 'mr_session';

/** How long a browser session lasts. */
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

/** What a session cookie says: which token logged in, until when (ms since the epoch). Nothing secret. */
export interface SessionClaims {
  readonly tokenName: string;
  readonly expires: number;
}

/**
 * Stateless session cookies: `base64url(JSON {n, e}).base64url(HMAC-SHA256)`. The key is `service.sessionSecret`
 * or, without one, random per process (then a session works only on the instance that issued it).
 *
 * @example
 * ```ts
 * const sessions = new SessionSigner(randomBytes(32));
 * const cookie = sessions.sign({ tokenName: 'operator', expires: Date.now() + 3600_000 });
 * sessions.verify(cookie, Date.now()); // { tokenName: 'operator', expires: ... }
 * ```
 */
export class SessionSigner {
  readonly #key: Buffer;

  constructor(key: Buffer | string) {
    this.#key = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (this.#key.length < 16) throw new RangeError('the session key must be at least 16 bytes');
  }

  /** A fresh random key (32 bytes). */
  static randomKey(): Buffer {
    return randomBytes(32);
  }

  sign(claims: SessionClaims): string {
    const payload = Buffer.from(JSON.stringify({ n: claims.tokenName, e: claims.expires }), 'utf8').toString('base64url');
    return `${payload}.${this.#mac(payload).toString('base64url')}`;
  }

  /** The claims of a genuine, unexpired cookie; undefined for anything else. */
  verify(cookie: string, now: number): SessionClaims | undefined {
    const dot = cookie.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = cookie.slice(0, dot);
    const given = Buffer.from(cookie.slice(dot + 1), 'base64url');
    const expected = this.#mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const { n, e } = (parsed ?? {}) as { n?: unknown; e?: unknown };
    if (typeof n !== 'string' || typeof e !== 'number' || e <= now) return undefined;
    return { tokenName: n, expires: e };
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(payload).digest();
  }
}

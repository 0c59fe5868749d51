import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie holding a browser session. */
export const SESSION_COOKIE = 'mr_session';

/** How long a browser session lasts. */
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

/**
 * What a session cookie says: the session's id (random, what a logout revokes), which token logged in, which hash
 * that token had then (a fingerprint, see {@link SessionSigner.fingerprint}), until when (ms since the epoch).
 * Nothing secret.
 */
export interface SessionClaims {
  readonly id: string;
  readonly tokenName: string;
  readonly fingerprint: string;
  readonly expires: number;
}

/**
 * Signed session cookies: `base64url(JSON {i, n, f, e}).base64url(HMAC-SHA256)`; a logout's revocation of the id is
 * kept elsewhere (the Authenticator's revocation store). The key is `service.sessionSecret`
 * or, without one, random per process (then a session works only on the instance that issued it).
 *
 * @example
 * ```ts
 * const sessions = new SessionSigner(randomBytes(32));
 * const fingerprint = sessions.fingerprint(entry.sha256);
 * const cookie = sessions.sign({ id: SessionSigner.newSessionId(), tokenName: 'operator', fingerprint, expires: Date.now() + 3600_000 });
 * sessions.verify(cookie, Date.now()); // { id, tokenName: 'operator', fingerprint, expires: ... }
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

  /** A fresh session id: 16 random bytes, base64url. */
  static newSessionId(): string {
    return randomBytes(16).toString('base64url');
  }

  /**
   * A token entry's fingerprint: HMAC-SHA256 of its configured sha256 under the session key, 16 bytes, base64url.
   * A session carries the fingerprint of the token that logged in, so rotating the token (a new hash under the same
   * name) ends its sessions; the cookie reveals nothing of the hash without the key.
   */
  fingerprint(tokenSha256: string): string {
    return createHmac('sha256', this.#key).update(`session-token:${tokenSha256.toLowerCase()}`).digest().subarray(0, 16).toString('base64url');
  }

  sign(claims: SessionClaims): string {
    const payload = Buffer.from(JSON.stringify({ i: claims.id, n: claims.tokenName, f: claims.fingerprint, e: claims.expires }), 'utf8').toString('base64url');
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
    const { i, n, f, e } = (parsed ?? {}) as { i?: unknown; n?: unknown; f?: unknown; e?: unknown };
    if (typeof i !== 'string' || i === '' || typeof n !== 'string' || typeof f !== 'string' || typeof e !== 'number' || e <= now) return undefined;
    return { id: i, tokenName: n, fingerprint: f, expires: e };
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(payload).digest();
  }
}

import { describe, expect, it } from 'vitest';
import { generateServiceToken } from '@matrix-reset/reset-core';
import { Authenticator } from './auth.ts';
import { ApiError } from './http-errors.ts';
import { SessionSigner } from './session-cookie.ts';

const rateLimit = { perMinute: 60, burst: 5 };
/** Nothing logged out: these tests are about rotation (logouts: auth-primitives and session-logout). */
const revocations = { revoke: async () => {}, isRevoked: async () => false };

describe('browser sessions and token rotation', () => {
  const key = SessionSigner.randomKey();
  const before = generateServiceToken({ name: 'operator', scopes: ['read'] });
  const issuing = new Authenticator({ tokens: [before.entry], sessionKey: key, rateLimit, revocations });
  const cookie = issuing.issueSession('operator', Date.now() + 60_000);

  it('a session stays valid while its token keeps the hash it had at login (another instance with the same key too)', async () => {
    const sameConfig = new Authenticator({ tokens: [before.entry], sessionKey: key, rateLimit, revocations });
    expect(await sameConfig.authenticate(undefined, cookie)).toEqual({ tokenName: 'operator', scopes: ['read'], via: 'session' });
  });

  it('rotating the token (a new hash under the same name) ends its sessions with 401 session_invalid', async () => {
    const rotated = generateServiceToken({ name: 'operator', scopes: ['read'] });
    expect(rotated.entry.sha256).not.toBe(before.entry.sha256);
    const afterRotation = new Authenticator({ tokens: [rotated.entry], sessionKey: key, rateLimit, revocations });
    expect(afterRotation.verifySession(cookie)).toBeUndefined();
    const refused = await afterRotation.authenticate(undefined, cookie).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 401, code: 'session_invalid' });
    // A login with the new token works at once.
    expect((await afterRotation.authenticate(undefined, afterRotation.issueSession('operator', Date.now() + 60_000))).tokenName).toBe('operator');
  });

  it('the cookie carries a keyed fingerprint of the hash, never the hash itself, and a fingerprint cannot be swapped in', () => {
    const payload = JSON.parse(Buffer.from(cookie.split('.')[0] ?? '', 'base64url').toString('utf8')) as { i: string; n: string; f: string; e: number };
    expect(payload.n).toBe('operator');
    expect(payload.f).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cookie).not.toContain(before.entry.sha256);
    expect(payload.f).not.toBe(new SessionSigner(SessionSigner.randomKey()).fingerprint(before.entry.sha256));
    const rotated = generateServiceToken({ name: 'operator', scopes: ['read'] });
    const forged = `${Buffer.from(JSON.stringify({ ...payload, f: new SessionSigner(key).fingerprint(rotated.entry.sha256) })).toString('base64url')}.${cookie.split('.')[1] ?? ''}`;
    expect(new Authenticator({ tokens: [rotated.entry], sessionKey: key, rateLimit, revocations }).verifySession(forged)).toBeUndefined();
  });
});

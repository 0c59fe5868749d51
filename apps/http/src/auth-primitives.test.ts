import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateServiceToken } from '@matrix-reset/reset-core';
import { Authenticator, type SessionRevocations } from './auth.ts';
import { ApiError } from './http-errors.ts';
import { TokenBucketLimiter } from './rate-limit.ts';
import { SessionSigner } from './session-cookie.ts';

describe('TokenBucketLimiter', () => {
  it('allows the burst, then refills at perMinute and says how long to wait', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ perMinute: 60, burst: 2, now: () => now });
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b')).toEqual({ ok: true });
    now += 1000;
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a').ok).toBe(false);
  });
});

describe('SessionSigner', () => {
  it('verifies its own unexpired cookies and nothing else', () => {
    const key = SessionSigner.randomKey();
    const signer = new SessionSigner(key);
    const cookie = signer.sign({ id: 's1', tokenName: 'ops', fingerprint: 'f1', expires: 10_000 });
    expect(signer.verify(cookie, 9_999)).toEqual({ id: 's1', tokenName: 'ops', fingerprint: 'f1', expires: 10_000 });
    expect(signer.verify(cookie, 10_000)).toBeUndefined();
    expect(new SessionSigner(SessionSigner.randomKey()).verify(cookie, 0)).toBeUndefined();
    const [payload, mac] = cookie.split('.');
    const forged = Buffer.from(JSON.stringify({ i: 's1', n: 'admin', f: 'f1', e: 10_000 })).toString('base64url');
    expect(signer.verify(`${forged}.${mac}`, 0)).toBeUndefined();
    // A cookie of the days before session ids (signed, but without one) is refused: sign in again.
    const noId = Buffer.from(JSON.stringify({ n: 'ops', f: 'f1', e: 10_000 })).toString('base64url');
    expect(signer.verify(`${noId}.${createHmac('sha256', key).update(noId).digest('base64url')}`, 0)).toBeUndefined();
    expect(signer.verify(`${payload}.`, 0)).toBeUndefined();
    expect(signer.verify('garbage', 0)).toBeUndefined();
  });

  it('refuses a key shorter than 16 bytes', () => {
    expect(() => new SessionSigner('short')).toThrow(RangeError);
  });
});

/** Logouts kept in this process (the service keeps them in Postgres: see the two-instance test in session-logout). */
function revocationsInMemory(): SessionRevocations & { ids: Set<string> } {
  const ids = new Set<string>();
  return { ids, revoke: async (id) => void ids.add(id), isRevoked: async (id) => ids.has(id) };
}

describe('Authenticator', () => {
  const reader = generateServiceToken({ name: 'reader', scopes: ['read'] });
  const writer = generateServiceToken({ name: 'writer', scopes: ['runs:write'] });
  const revocations = revocationsInMemory();
  const auth = new Authenticator({ tokens: [reader.entry, writer.entry], sessionKey: SessionSigner.randomKey(), rateLimit: { perMinute: 60, burst: 5 }, revocations });

  it('finds the entry by hash and never by name or hash text', () => {
    expect(auth.verifyBearer(reader.token.reveal())?.name).toBe('reader');
    expect(auth.verifyBearer(writer.token.reveal())?.name).toBe('writer');
    expect(auth.verifyBearer('reader')).toBeUndefined();
    expect(auth.verifyBearer(reader.entry.sha256)).toBeUndefined();
  });

  it('accepts the Bearer scheme in any case and gives sessions read only', async () => {
    expect(await auth.authenticate(`bearer ${writer.token.reveal()}`, undefined)).toEqual({ tokenName: 'writer', scopes: ['runs:write'], via: 'bearer' });
    const cookie = auth.issueSession('reader', Date.now() + 60_000);
    expect(await auth.authenticate(undefined, cookie)).toEqual({ tokenName: 'reader', scopes: ['read'], via: 'session' });
    // A session naming a token without read (or one no longer configured) is refused.
    const writerCookie = auth.issueSession('writer', Date.now() + 60_000);
    await expect(auth.authenticate(undefined, writerCookie)).rejects.toThrow(ApiError);
    const goneCookie = auth.sessions.sign({ id: 'gone', tokenName: 'retired', fingerprint: auth.sessions.fingerprint(reader.entry.sha256), expires: Date.now() + 60_000 });
    await expect(auth.authenticate(undefined, goneCookie)).rejects.toThrow(ApiError);
  });

  it('a logged-out session is refused with 401 session_invalid; another session of the same token is not', async () => {
    const cookie = auth.issueSession('reader', Date.now() + 60_000);
    const other = auth.issueSession('reader', Date.now() + 60_000);
    await auth.endSession(cookie);
    expect(revocations.ids.size).toBe(1);
    await expect(auth.authenticate(undefined, cookie)).rejects.toMatchObject({ status: 401, code: 'session_invalid' });
    expect((await auth.authenticate(undefined, other)).tokenName).toBe('reader');
    // A forged cookie revokes nothing.
    await auth.endSession(`${cookie.split('.')[0] ?? ''}.AAAA`);
    expect(revocations.ids.size).toBe(1);
  });

  it('a token posted by the sign-in form that is not accepted says so, not that a header is malformed', () => {
    expect(() => auth.principalOfToken('a b')).toThrow(expect.objectContaining({ status: 401, code: 'invalid_token', message: 'The token is not one this service accepts' }));
  });
});

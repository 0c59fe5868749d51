import { describe, expect, it } from 'vitest';
import { generateServiceToken } from '@matrix-reset/reset-core';
import { Authenticator } from './auth.ts';
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
    const signer = new SessionSigner(SessionSigner.randomKey());
    const cookie = signer.sign({ tokenName: 'ops', fingerprint: 'f1', expires: 10_000 });
    expect(signer.verify(cookie, 9_999)).toEqual({ tokenName: 'ops', fingerprint: 'f1', expires: 10_000 });
    expect(signer.verify(cookie, 10_000)).toBeUndefined();
    expect(new SessionSigner(SessionSigner.randomKey()).verify(cookie, 0)).toBeUndefined();
    const [payload, mac] = cookie.split('.');
    const forged = Buffer.from(JSON.stringify({ n: 'admin', f: 'f1', e: 10_000 })).toString('base64url');
    expect(signer.verify(`${forged}.${mac}`, 0)).toBeUndefined();
    expect(signer.verify(`${payload}.`, 0)).toBeUndefined();
    expect(signer.verify('garbage', 0)).toBeUndefined();
  });

  it('refuses a key shorter than 16 bytes', () => {
    expect(() => new SessionSigner('short')).toThrow(RangeError);
  });
});

describe('Authenticator', () => {
  const reader = generateServiceToken({ name: 'reader', scopes: ['read'] });
  const writer = generateServiceToken({ name: 'writer', scopes: ['runs:write'] });
  const auth = new Authenticator({ tokens: [reader.entry, writer.entry], sessionKey: SessionSigner.randomKey(), rateLimit: { perMinute: 60, burst: 5 } });

  it('finds the entry by hash and never by name or hash text', () => {
    expect(auth.verifyBearer(reader.token.reveal())?.name).toBe('reader');
    expect(auth.verifyBearer(writer.token.reveal())?.name).toBe('writer');
    expect(auth.verifyBearer('reader')).toBeUndefined();
    expect(auth.verifyBearer(reader.entry.sha256)).toBeUndefined();
  });

  it('accepts the Bearer scheme in any case and gives sessions read only', () => {
    expect(auth.authenticate(`bearer ${writer.token.reveal()}`, undefined)).toEqual({ tokenName: 'writer', scopes: ['runs:write'], via: 'bearer' });
    const cookie = auth.issueSession('reader', Date.now() + 60_000);
    expect(auth.authenticate(undefined, cookie)).toEqual({ tokenName: 'reader', scopes: ['read'], via: 'session' });
    // A session naming a token without read (or one no longer configured) is refused.
    const writerCookie = auth.issueSession('writer', Date.now() + 60_000);
    expect(() => auth.authenticate(undefined, writerCookie)).toThrow(ApiError);
    const goneCookie = auth.sessions.sign({ tokenName: 'retired', fingerprint: auth.sessions.fingerprint(reader.entry.sha256), expires: Date.now() + 60_000 });
    expect(() => auth.authenticate(undefined, goneCookie)).toThrow(ApiError);
  });
});

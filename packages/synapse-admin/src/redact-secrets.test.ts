import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets, sanitizeCause } from './redact-secrets.ts';

describe('redactSecrets', () => {
  it('replaces every occurrence of a known secret', () => {
    expect(redactSecrets('a hunter22 b hunter22', ['hunter22'])).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('replaces Matrix token shapes and bearer headers even when the value was not registered', () => {
    const text = 'token syt_YWxpY2U_abcdefghij_123456 and Authorization: Bearer xyz.abc and ?access_token=qwerty';
    const out = redactSecrets(text, []);
    expect(out).not.toContain('syt_YWxpY2U');
    expect(out).not.toContain('xyz.abc');
    expect(out).not.toContain('qwerty');
  });

  it('ignores undefined and very short secrets', () => {
    expect(redactSecrets('abc', [undefined, 'a'])).toBe('abc');
  });
});

describe('sanitizeCause', () => {
  it('copies name, scrubbed message and system code, not the original object', () => {
    const original = Object.assign(new Error('failed with s3cret-value'), { code: 'ECONNRESET', request: { headers: { authorization: 'Bearer s3cret-value' } } });
    const copy = sanitizeCause(original, ['s3cret-value']);
    expect(copy).not.toBe(original);
    expect(copy.message).toBe(`failed with ${REDACTED}`);
    expect((copy as Error & { code?: string }).code).toBe('ECONNRESET');
    expect(JSON.stringify(copy)).not.toContain('s3cret-value');
    expect(copy.stack).not.toContain('s3cret-value');
  });

  it('scrubs nested AggregateError members and causes', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED with tok-123456'), { code: 'ECONNREFUSED' });
    const copy = sanitizeCause(new AggregateError([inner], 'outer', { cause: new Error('tok-123456 again') }), ['tok-123456']);
    const errors = (copy as Error & { errors: Error[] }).errors;
    expect(errors[0]?.message).toBe(`connect ECONNREFUSED with ${REDACTED}`);
    expect((copy.cause as Error).message).toBe(`${REDACTED} again`);
  });
});

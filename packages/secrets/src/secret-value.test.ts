import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactValues, scrubbedCause, SecretValue } from './secret-value.ts';

describe('SecretValue', () => {
  const value = new SecretValue('syt_super_secret_value');

  it('never shows the value in strings, JSON or inspect', () => {
    expect(String(value)).toBe('[redacted]');
    expect(`${value}`).toBe('[redacted]');
    expect(JSON.stringify({ value })).toBe('{"value":"[redacted]"}');
    expect(inspect(value)).toBe('SecretValue([redacted])');
    expect(inspect({ nested: { value } }, { depth: 5 })).not.toContain('syt_super');
  });

  it('reveals the value only on request', () => {
    expect(value.reveal()).toBe('syt_super_secret_value');
    expect(value.equals('syt_super_secret_value')).toBe(true);
  });

  it('redactValues scrubs every occurrence', () => {
    expect(redactValues('a hunter22 b hunter22', ['hunter22', undefined])).toBe('a [redacted] b [redacted]');
  });

  it('scrubbedCause copies the error without the value or the original object', () => {
    const original = Object.assign(new Error('bad value hunter22'), { code: 'EX', secret: 'hunter22' });
    const copy = scrubbedCause(original, ['hunter22']);
    expect(copy.message).toBe('bad value [redacted]');
    expect((copy as Error & { code?: string }).code).toBe('EX');
    expect(JSON.stringify(copy) + inspect(copy)).not.toContain('hunter22');
  });
});

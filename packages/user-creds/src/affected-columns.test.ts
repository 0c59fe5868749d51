import { describe, expect, it } from 'vitest';
import { checkRunId, newRunId } from './affected-columns.ts';

describe('newRunId', () => {
  it('is r, the UTC time to the second and 8 hex digits', () => {
    expect(newRunId(new Date('2025-01-01T12:00:00.789Z'))).toMatch(/^r20250101t120000_[0-9a-f]{8}$/);
  });

  it('passes checkRunId', () => {
    const runId = newRunId();
    expect(checkRunId(runId)).toBe(runId);
  });

  it('1,000 ids made in the same second are all different', () => {
    // With 16 bits of randomness (the old format) 1,000 ids collide with probability 99.95%; with 32 bits, 0.01%.
    const now = new Date('2025-01-01T12:00:00Z');
    expect(new Set(Array.from({ length: 1000 }, () => newRunId(now))).size).toBe(1000);
  });
});

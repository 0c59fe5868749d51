import { describe, expect, it } from 'vitest';
import { countLine, duration, elapsed } from './count-rate.ts';

const count = (done: number, total: number | undefined) => ({ type: 'count' as const, stepId: undefined, task: 're-provision', done, total, unit: 'rows' });

describe('count lines', () => {
  it('shows rate and ETA once a second has passed', () => {
    expect(countLine(count(1_500, 10_000), { at: 0, done: 0 }, 5_000)).toBe('re-provision 1,500/10,000 rows · 300/s · ETA 29 s');
  });

  it('measures the rate from where the count was first seen', () => {
    expect(countLine(count(1_500, 10_000), { at: 0, done: 1_000 }, 2_000)).toBe('re-provision 1,500/10,000 rows · 250/s · ETA 34 s');
  });

  it('shows neither in the first second, nor an ETA without a total, and a slow rate with a decimal', () => {
    expect(countLine(count(10, 100), { at: 0, done: 0 }, 500)).toBe('re-provision 10/100 rows');
    expect(countLine(count(12, undefined), { at: 0, done: 0 }, 4_000)).toBe('re-provision 12 rows · 3.0/s');
  });

  it('words durations as an operator reads them', () => {
    expect([duration(0.2), duration(59), duration(185), duration(7_800)]).toEqual(['1 s', '59 s', '3 min 05 s', '2 h 10 min']);
    expect([elapsed(812), elapsed(4_200), elapsed(2_000), elapsed(65_000)]).toEqual(['812 ms', '4.2 s', '2 s', '1 min 05 s']);
  });
});

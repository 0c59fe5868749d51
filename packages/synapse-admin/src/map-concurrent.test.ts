import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapConcurrent, type MapConcurrentResult } from './map-concurrent.ts';

async function collect<T, R>(results: AsyncIterable<MapConcurrentResult<T, R>>): Promise<MapConcurrentResult<T, R>[]> {
  const out: MapConcurrentResult<T, R>[] = [];
  for await (const result of results) out.push(result);
  return out;
}

describe('mapConcurrent', () => {
  it('never runs more than `concurrency` calls at once', async () => {
    let active = 0;
    let peak = 0;
    const results = await collect(
      mapConcurrent(Array.from({ length: 50 }, (_, i) => i), 7, async (i) => {
        active++;
        peak = Math.max(peak, active);
        await sleep(i % 3);
        active--;
        return i * 2;
      }),
    );
    expect(peak).toBe(7);
    expect(results).toHaveLength(50);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : -1)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i * 2),
    );
  });

  it('yields in completion order, with input and index', async () => {
    const results = await collect(mapConcurrent([30, 10, 20], 3, async (ms) => (await sleep(ms), ms)));
    expect(results.map((result) => [result.input, result.index])).toEqual([
      [10, 1],
      [20, 2],
      [30, 0],
    ]);
  });

  it('yields failures (thrown or rejected) instead of throwing', async () => {
    const results = await collect(
      mapConcurrent([1, 2, 3], 2, (n) => {
        if (n === 1) throw new Error('sync boom');
        return n === 2 ? Promise.reject(new Error('async boom')) : Promise.resolve(n);
      }),
    );
    expect(results.filter((result) => result.status === 'rejected').map((result) => (result.status === 'rejected' ? (result.reason as Error).message : ''))).toEqual(
      expect.arrayContaining(['sync boom', 'async boom']),
    );
    expect(results.find((result) => result.status === 'fulfilled')).toMatchObject({ input: 3, value: 3 });
  });

  it('pulls lazily from an async iterable and stops pulling when the consumer breaks', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    let seen = 0;
    for await (const result of mapConcurrent(source(), 4, async (i) => i)) {
      expect(result.status).toBe('fulfilled');
      if (++seen === 10) break;
    }
    expect(pulled).toBeLessThanOrEqual(14);
  });

  it('handles an empty input and rejects a bad concurrency', async () => {
    expect(await collect(mapConcurrent([], 3, async (x) => x))).toEqual([]);
    await expect(collect(mapConcurrent([1], 0, async (x) => x))).rejects.toThrow(RangeError);
  });

  it('settles every one of 10,000 items exactly once at concurrency 32', async () => {
    const seen = new Set<number>();
    for await (const result of mapConcurrent(Array.from({ length: 10_000 }, (_, i) => i), 32, async (i) => i)) {
      if (result.status === 'fulfilled' && result.value === result.input) seen.add(result.index);
    }
    expect(seen.size).toBe(10_000);
  });
});

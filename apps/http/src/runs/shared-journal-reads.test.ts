import type { JournalRun } from '@matrix-reset/reset-core';
import { describe, expect, it } from 'vitest';
import { LocalRuns } from './local-runs.ts';
import { runEvents, type RunJournalSnapshot, type RunStreamItem } from './run-events.ts';
import { SharedJournalReads } from './shared-journal-reads.ts';

const t0 = new Date(Date.UTC(2026, 0, 1, 12));

function snapshot(state: JournalRun['state']): RunJournalSnapshot {
  return {
    run: { id: 'r1', planId: 'p1', planChecksum: 'sha256:x', environment: 'dev', mode: 'repair', state, holder: 'h', error: undefined, createdAt: t0, updatedAt: state === 'running' ? t0 : new Date(t0.getTime() + 1000) },
    steps: [],
    rollback: undefined,
    rollbackSteps: [],
  };
}

describe('SharedJournalReads', () => {
  it('serves every caller of a run from one read per interval, and reads again at once after invalidate', async () => {
    let now = 0;
    let reads = 0;
    const shared = new SharedJournalReads(
      async () => {
        reads += 1;
        return snapshot('running');
      },
      { intervalMs: () => 1000, now: () => now },
    );
    await Promise.all(Array.from({ length: 50 }, () => shared.snapshot('r1')));
    expect(reads).toBe(1);
    now = 999;
    await shared.snapshot('r1');
    expect(reads).toBe(1);
    now = 1000;
    await Promise.all([shared.snapshot('r1'), shared.snapshot('r1')]);
    expect(reads).toBe(2);
    shared.invalidate('r1');
    await shared.snapshot('r1');
    expect(reads).toBe(3);
    await shared.snapshot('r2');
    expect(shared.reads()).toBe(4);
  });

  it('does not hand a read begun before an invalidation to a caller after it', async () => {
    let release!: () => void;
    let reads = 0;
    const shared = new SharedJournalReads(
      async () => {
        const n = ++reads;
        if (n === 1) await new Promise<void>((resolve) => (release = resolve));
        return snapshot(n === 1 ? 'running' : 'finished');
      },
      { intervalMs: () => 60_000 },
    );
    const early = shared.snapshot('r1');
    shared.invalidate('r1');
    const late = await shared.snapshot('r1');
    release();
    expect((await early)?.run.state).toBe('running');
    expect(late?.run.state).toBe('finished');
    // The stale read did not overwrite the newer one.
    expect((await shared.snapshot('r1'))?.run.state).toBe('finished');
  });

  it('lets 20 event streams of one run share its reads (each still gets every event)', async () => {
    let reads = 0;
    let state: JournalRun['state'] = 'running';
    const local = new LocalRuns();
    const shared = new SharedJournalReads(
      async () => {
        reads += 1;
        return snapshot(state);
      },
      { intervalMs: () => 50 },
    );
    const source = { local, snapshot: (runId: string) => shared.snapshot(runId) };
    const streams = Array.from({ length: 20 }, async () => {
      const items: RunStreamItem[] = [];
      for await (const item of runEvents(source, 'r1', { pollMs: 50 })) items.push(item);
      return items;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    state = 'finished';
    const all = await Promise.all(streams);
    for (const items of all) expect(items.map((i) => i.type)).toEqual(['run', 'run', 'end']);
    // About one read per 50 ms for all of them (20 unshared streams would make 20 per 50 ms).
    expect(reads).toBeLessThan(20);
  });
});

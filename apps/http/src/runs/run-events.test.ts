import type { JournalRun, JournalStep } from '@matrix-reset/reset-core';
import { describe, expect, it } from 'vitest';
import { LocalRuns } from './local-runs.ts';
import { journalEvents, runEvents, toServerSentEvent, type RunJournalSnapshot, type RunStreamItem } from './run-events.ts';

const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds));

function run(state: JournalRun['state'], overrides: Partial<JournalRun> = {}): JournalRun {
  return { id: 'r1', planId: 'p1', planChecksum: 'sha256:x', environment: 'dev', mode: 'repair', state, holder: 'h', error: undefined, createdAt: t(0), updatedAt: t(state === 'running' ? 0 : 9), ...overrides };
}

function step(position: number, state: JournalStep['state'], detail: unknown = null): JournalStep {
  return { stepId: `0${position + 1}-s`, position, kind: 'verify', state, attempts: 1, startedAt: t(position * 2 + 1), finishedAt: state === 'started' ? undefined : t(position * 2 + 2), detail };
}

/** A source whose journal the test moves forward by hand. */
function scriptedSource(snapshots: RunJournalSnapshot[], local?: LocalRuns) {
  let index = 0;
  return {
    advance: () => {
      index = Math.min(index + 1, snapshots.length - 1);
    },
    source: { ...(local === undefined ? {} : { local }), snapshot: async () => snapshots[index] },
  };
}

async function collect(stream: AsyncGenerator<RunStreamItem>, onItem?: (item: RunStreamItem) => void): Promise<RunStreamItem[]> {
  const items: RunStreamItem[] = [];
  for await (const item of stream) {
    items.push(item);
    onItem?.(item);
  }
  return items;
}

describe('journalEvents', () => {
  it('tells a failed run in order: run started, each step started and ended, the failure with its code, the run failed', () => {
    const events = journalEvents({
      run: run('failed', { error: { code: 'step_failed', message: 'boom' } }),
      steps: [step(1, 'failed', { code: 'lock_timeout', message: 'waited' }), step(0, 'finished')],
      rollback: undefined,
      rollbackSteps: [],
    });
    expect(events.map((e) => e.id)).toEqual(['run:running', 'step:01-s:1:started', 'step:01-s:1:finished', 'step:02-s:1:started', 'step:02-s:1:failed', `run:failed:${t(9).getTime()}`]);
    expect(events[4]?.data).toMatchObject({ state: 'failed', error: { code: 'lock_timeout', message: 'waited' }, position: 1 });
    expect(events[5]?.data).toMatchObject({ phase: 'apply', state: 'failed', error: { code: 'step_failed' } });
  });
});

describe('runEvents', () => {
  it('streams new journal events as they appear and ends once the run has ended', async () => {
    const { source, advance } = scriptedSource([
      { run: run('running'), steps: [step(0, 'started')], rollback: undefined, rollbackSteps: [] },
      { run: run('running'), steps: [step(0, 'finished')], rollback: undefined, rollbackSteps: [] },
      { run: run('finished'), steps: [step(0, 'finished')], rollback: undefined, rollbackSteps: [] },
    ]);
    const items = await collect(runEvents(source, 'r1', { pollMs: 5 }), advance);
    expect(items.map((i) => (i.type === 'heartbeat' ? 'heartbeat' : i.id))).toEqual(['run:running', 'step:01-s:1:started', 'step:01-s:1:finished', `run:finished:${t(9).getTime()}`, 'end']);
    expect(items.at(-1)).toMatchObject({ type: 'end', data: { runId: 'r1', state: 'finished', rollback: undefined } });
  });

  it('sends heartbeats while nothing happens, and stops without an end when aborted', async () => {
    const { source } = scriptedSource([{ run: run('running'), steps: [], rollback: undefined, rollbackSteps: [] }]);
    const abort = new AbortController();
    const items: RunStreamItem[] = [];
    for await (const item of runEvents(source, 'r1', { pollMs: 5, heartbeatMs: 20, signal: abort.signal })) {
      items.push(item);
      if (items.filter((i) => i.type === 'heartbeat').length === 2) abort.abort();
    }
    expect(items.map((i) => i.type)).toEqual(['run', 'heartbeat', 'heartbeat']);
  });

  it('after Last-Event-ID sends only what came after it; an id it does not know replays everything', async () => {
    const snapshot = { run: run('finished'), steps: [step(0, 'finished'), step(1, 'finished')], rollback: undefined, rollbackSteps: [] };
    const all = await collect(runEvents(scriptedSource([snapshot]).source, 'r1'));
    const resumed = await collect(runEvents(scriptedSource([snapshot]).source, 'r1', { lastEventId: 'step:01-s:1:finished' }));
    expect(resumed.map((i) => (i.type === 'heartbeat' ? '' : i.id))).toEqual(all.slice(3).map((i) => (i.type === 'heartbeat' ? '' : i.id)));
    const unknown = await collect(runEvents(scriptedSource([snapshot]).source, 'r1', { lastEventId: 'nonsense' }));
    expect(unknown).toHaveLength(all.length);
  });

  it('passes on progress of a local run live, does not end while the run is active here, and yields nothing for an unknown run', async () => {
    const local = new LocalRuns();
    const done = local.begin('r1');
    const { source } = scriptedSource([{ run: run('finished'), steps: [], rollback: undefined, rollbackSteps: [] }], local);
    const items = await collect(runEvents(source, 'r1', { pollMs: 5 }), (item) => {
      if (item.type === 'run' && item.data.state === 'running') local.progress('r1', 'step 1: snapshot');
      if (item.type === 'progress') done();
    });
    expect(items.map((i) => i.type)).toEqual(['run', 'run', 'progress', 'end']);
    expect(items[2]).toMatchObject({ id: `run:finished:${t(9).getTime()}~p1`, data: { message: 'step 1: snapshot' } });
    expect(await collect(runEvents({ snapshot: async () => undefined }, 'r9'))).toEqual([]);
  });
});

describe('runEvents for a late subscriber of a local run', () => {
  it('starts with the latest progress message, and none once the run stopped here', async () => {
    const local = new LocalRuns();
    const done = local.begin('r1');
    local.progress('r1', 'step 1');
    local.progress('r1', 'step 2');
    const { source } = scriptedSource([{ run: run('finished'), steps: [], rollback: undefined, rollbackSteps: [] }], local);
    const items = await collect(runEvents(source, 'r1', { pollMs: 5 }), (item) => {
      if (item.type === 'progress') done();
    });
    expect(items.filter((i) => i.type === 'progress').map((i) => (i.type === 'progress' ? i.data.message : ''))).toEqual(['step 2']);
    const after = await collect(runEvents(source, 'r1', { pollMs: 5 }));
    expect(after.map((i) => i.type)).toEqual(['run', 'run', 'end']);
  });
});

describe('toServerSentEvent', () => {
  it('writes id, event and one JSON data line; heartbeats are comments', () => {
    expect(toServerSentEvent({ type: 'progress', id: 'a~p1', data: { runId: 'r1', message: 'two\nlines', time: 'now' } })).toBe(
      'id: a~p1\nevent: progress\ndata: {"runId":"r1","message":"two\\nlines","time":"now"}\n\n',
    );
    expect(toServerSentEvent({ type: 'heartbeat' })).toBe(': heartbeat\n\n');
  });
});

import type { JournalRollback, JournalRollbackStep, JournalRun, JournalStep } from '@matrix-reset/reset-core';

/** Whether an event belongs to the run itself or to its rollback. */
export type RunPhase = 'apply' | 'rollback';

/** A failure as the journal records it: a stable code and a message (never a secret). */
export interface EventError {
  readonly code: string;
  readonly message: string;
}

/** A step began, finished or failed (in the run, or in its rollback). */
export interface StepEvent {
  readonly type: 'step';
  readonly id: string;
  readonly data: {
    readonly runId: string;
    readonly phase: RunPhase;
    readonly stepId: string;
    readonly kind: string;
    /** Position in the plan (0-based); a rollback undoes in reverse plan order. */
    readonly position: number;
    readonly state: 'started' | 'finished' | 'failed';
    readonly attempt: number;
    /** ISO time of this change, from the journal. */
    readonly time: string;
    readonly error?: EventError;
  };
}

/** The run (or its rollback) changed state. */
export interface RunStateEvent {
  readonly type: 'run';
  readonly id: string;
  readonly data: {
    readonly runId: string;
    readonly phase: RunPhase;
    /** apply: running, finished, failed; rollback: running, rolled-back, rollback-failed. */
    readonly state: string;
    readonly time: string;
    readonly error?: EventError;
  };
}

/** A progress message of a run executing in this process (not journaled: live only). */
export interface ProgressEvent {
  readonly type: 'progress';
  readonly id: string;
  readonly data: { readonly runId: string; readonly message: string; readonly time: string };
}

/** The last event of a stream: the run and its rollback (if any) have ended. */
export interface EndEvent {
  readonly type: 'end';
  readonly id: string;
  readonly data: { readonly runId: string; readonly state: string; readonly rollback: string | undefined };
}

export type RunEvent = StepEvent | RunStateEvent | ProgressEvent | EndEvent;

/** What a stream yields: events, and heartbeats while nothing happens (rendered as SSE comments). */
export type RunStreamItem = RunEvent | { readonly type: 'heartbeat' };

/**
 * What the service sends: a stream's items, and `closing` when this instance stops serving the stream before the run
 * ended (an SSE comment; the client reconnects with Last-Event-ID).
 */
export type ServedStreamItem = RunStreamItem | { readonly type: 'closing' };

/** Everything the journal holds about a run at one moment. */
export interface RunJournalSnapshot {
  readonly run: JournalRun;
  readonly steps: readonly JournalStep[];
  readonly rollback: JournalRollback | undefined;
  readonly rollbackSteps: readonly JournalRollbackStep[];
}

/** Where a run's events come from: the journal (any instance's runs), and this process's own runs. */
export interface RunEventSource {
  /** Reads the journal; `undefined` for an unknown run. */
  snapshot(runId: string): Promise<RunJournalSnapshot | undefined>;
  /** Live signals of runs executing in this process; absent for a journal-only source. */
  readonly local?: LocalRunSignals;
}

/** What a local run tells its watchers: progress messages, "the journal just changed", and whether it still works. */
export interface LocalRunSignals {
  /** Calls `listener` for every signal of `runId` until the returned function is called. */
  subscribe(runId: string, listener: (signal: LocalRunSignal) => void): () => void;
  /** True while this process applies or rolls back `runId`. */
  isActive(runId: string): boolean;
  /** The latest progress message of a run this process works on, for a subscriber that comes late. */
  lastProgress?(runId: string): Extract<LocalRunSignal, { kind: 'progress' }> | undefined;
}

/** `seq` numbers a run's progress messages in this process (1, 2, ...), so a reconnecting client skips those it saw. */
export type LocalRunSignal = { readonly kind: 'progress'; readonly seq: number; readonly message: string; readonly time: Date } | { readonly kind: 'journal' };

export interface RunEventsOptions {
  /** The `Last-Event-ID` a reconnecting client sent: events up to and including it are not sent again. */
  lastEventId?: string | undefined;
  /** How often the journal is read (default 250 ms); a function is asked before every wait (it may change as the run moves). */
  pollMs?: number | (() => number);
  /** A heartbeat after this long without an event (default 15 s). */
  heartbeatMs?: number;
  signal?: AbortSignal;
}

const iso = (date: Date) => date.toISOString();

function failure(detail: unknown): EventError | undefined {
  if (detail === null || typeof detail !== 'object') return undefined;
  const { code, message } = detail as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return { code, message };
}

/**
 * The journal's story of a run as events, in the order things happened: the run started, each step started and
 * ended (by plan position: steps run one after another), the run ended; then its rollback: began, each undo, ended.
 * Ids are derived from the journal (`step:<stepId>:<attempt>:<state>`), so every instance gives an event the same id
 * and a client can reconnect anywhere with `Last-Event-ID`.
 *
 * @example
 * const events = journalEvents(snapshot); // [{ type: 'run', id: 'run:running', ... }, { type: 'step', ... }, ...]
 */
export function journalEvents(snapshot: RunJournalSnapshot): (StepEvent | RunStateEvent)[] {
  const { run, steps, rollback, rollbackSteps } = snapshot;
  const runId = run.id;
  const events: (StepEvent | RunStateEvent)[] = [{ type: 'run', id: 'run:running', data: { runId, phase: 'apply', state: 'running', time: iso(run.createdAt) } }];
  const positions = new Map<string, number>();
  for (const step of [...steps].sort((a, b) => a.position - b.position)) {
    positions.set(step.stepId, step.position);
    const base = { runId, phase: 'apply' as const, stepId: step.stepId, kind: step.kind, position: step.position, attempt: step.attempts };
    events.push({ type: 'step', id: `step:${step.stepId}:${step.attempts}:started`, data: { ...base, state: 'started', time: iso(step.startedAt) } });
    if (step.state !== 'started') {
      const error = step.state === 'failed' ? failure(step.detail) : undefined;
      events.push({
        type: 'step',
        id: `step:${step.stepId}:${step.attempts}:${step.state}`,
        data: { ...base, state: step.state, time: iso(step.finishedAt ?? step.startedAt), ...(error === undefined ? {} : { error }) },
      });
    }
  }
  if (run.state !== 'running') {
    events.push({
      type: 'run',
      id: `run:${run.state}:${run.updatedAt.getTime()}`,
      data: { runId, phase: 'apply', state: run.state, time: iso(run.updatedAt), ...(run.error === undefined ? {} : { error: run.error }) },
    });
  } else if (run.updatedAt.getTime() !== run.createdAt.getTime()) {
    // Set running again: a resume.
    events.push({ type: 'run', id: `run:running:${run.updatedAt.getTime()}`, data: { runId, phase: 'apply', state: 'running', time: iso(run.updatedAt) } });
  }
  if (rollback !== undefined) {
    events.push({ type: 'run', id: `rollback:running:${rollback.createdAt.getTime()}`, data: { runId, phase: 'rollback', state: 'running', time: iso(rollback.createdAt) } });
    for (const step of rollbackSteps) {
      const base = { runId, phase: 'rollback' as const, stepId: step.stepId, kind: step.kind, position: positions.get(step.stepId) ?? -1, attempt: step.attempts };
      events.push({ type: 'step', id: `rollback-step:${step.stepId}:${step.attempts}:started`, data: { ...base, state: 'started', time: iso(step.startedAt) } });
      if (step.state !== 'started') {
        const error = step.state === 'failed' ? failure(step.detail) : undefined;
        events.push({
          type: 'step',
          id: `rollback-step:${step.stepId}:${step.attempts}:${step.state}`,
          data: { ...base, state: step.state, time: iso(step.finishedAt ?? step.startedAt), ...(error === undefined ? {} : { error }) },
        });
      }
    }
    if (rollback.state !== 'running') {
      events.push({
        type: 'run',
        id: `rollback:${rollback.state}:${rollback.updatedAt.getTime()}`,
        data: { runId, phase: 'rollback', state: rollback.state, time: iso(rollback.updatedAt), ...(rollback.error === undefined ? {} : { error: rollback.error }) },
      });
    }
  }
  return events;
}

/** True once neither the run nor its rollback is running. */
function ended(snapshot: RunJournalSnapshot): boolean {
  return snapshot.run.state !== 'running' && (snapshot.rollback === undefined || snapshot.rollback.state !== 'running');
}

/** `<journal event id>~p<n>`: a progress event's id carries the last journal event before it. */
function splitLastEventId(lastEventId: string | undefined): { journal: string | undefined; progress: number | undefined } {
  if (lastEventId === undefined || lastEventId === '') return { journal: undefined, progress: undefined };
  const at = lastEventId.lastIndexOf('~p');
  if (at < 0) return { journal: lastEventId, progress: undefined };
  const n = Number(lastEventId.slice(at + 2));
  return { journal: lastEventId.slice(0, at) || undefined, progress: Number.isInteger(n) ? n : undefined };
}

/**
 * A run's events as an async iterator, from its start (or after `lastEventId`) until its end: the journal is read
 * every `pollMs` (so a run executing on another instance streams too) and at once when a local run signals a
 * change; progress messages of a run executing in this process come live (a late subscriber first gets the latest
 * one); a heartbeat when nothing happened for
 * `heartbeatMs`. Ends with an `end` event once the run and its rollback have ended and nothing in this process still
 * works on it, or silently when `signal` aborts. Yields nothing for an unknown run.
 *
 * @example
 * ```ts
 * for await (const event of runEvents(source, runId, { signal })) {
 *   if (event.type === 'step') console.log(event.data.stepId, event.data.state);
 * }
 * ```
 */
export async function* runEvents(source: RunEventSource, runId: string, options: RunEventsOptions = {}): AsyncGenerator<RunStreamItem> {
  const poll = options.pollMs ?? 250;
  const pollMs = typeof poll === 'function' ? poll : () => poll;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const { signal } = options;
  const aborted = () => signal?.aborted === true;
  const resume = splitLastEventId(options.lastEventId);
  const sent = new Set<string>();
  let resumePending = resume.journal !== undefined;
  let lastJournalId = resume.journal ?? '';
  const progress: { seq: number; message: string; time: Date }[] = [];
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unsubscribe = source.local?.subscribe(runId, (s) => {
    if (s.kind === 'progress') progress.push({ seq: s.seq, message: s.message, time: s.time });
    poke();
  });
  // A late subscriber learns where a local run stands now (earlier messages are not kept).
  const latest = source.local?.lastProgress?.(runId);
  if (latest !== undefined && !progress.some((p) => p.seq === latest.seq)) progress.unshift({ seq: latest.seq, message: latest.message, time: latest.time });
  signal?.addEventListener('abort', poke, { once: true });
  let lastYield = Date.now();
  try {
    while (!aborted()) {
      const snapshot = await source.snapshot(runId);
      if (snapshot === undefined) return;
      const events = journalEvents(snapshot);
      if (resumePending) {
        // Everything up to and including the client's last event was delivered (when the id is not ours, replay all).
        const at = events.findIndex((e) => e.id === resume.journal);
        for (const e of events.slice(0, at + 1)) sent.add(e.id);
        resumePending = false;
      }
      for (const event of events) {
        if (sent.has(event.id)) continue;
        sent.add(event.id);
        lastJournalId = event.id;
        lastYield = Date.now();
        yield event;
      }
      while (progress.length > 0) {
        const next = progress.shift()!;
        if (resume.progress !== undefined && next.seq <= resume.progress) continue;
        lastYield = Date.now();
        yield { type: 'progress', id: `${lastJournalId}~p${next.seq}`, data: { runId, message: next.message, time: iso(next.time) } };
      }
      if (ended(snapshot) && source.local?.isActive(runId) !== true) {
        yield { type: 'end', id: 'end', data: { runId, state: snapshot.run.state, rollback: snapshot.rollback?.state } };
        return;
      }
      if (Date.now() - lastYield >= heartbeatMs) {
        lastYield = Date.now();
        yield { type: 'heartbeat' };
      }
      if (aborted() || progress.length > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, Math.min(pollMs(), Math.max(1, heartbeatMs - (Date.now() - lastYield))));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    unsubscribe?.();
    signal?.removeEventListener('abort', poke);
  }
}

/**
 * One stream item as Server-Sent Events text: `id`, `event` and a JSON `data` line for events, a comment for
 * heartbeats.
 *
 * @example
 * toServerSentEvent({ type: 'heartbeat' }); // ': heartbeat\n\n'
 */
export function toServerSentEvent(item: ServedStreamItem): string {
  if (item.type === 'heartbeat') return ': heartbeat\n\n';
  if (item.type === 'closing') return ': instance stopping: reconnect (Last-Event-ID resumes)\n\n';
  // JSON.stringify never emits a raw newline, so one data line always suffices.
  return `id: ${item.id}\nevent: ${item.type}\ndata: ${JSON.stringify(item.data)}\n\n`;
}

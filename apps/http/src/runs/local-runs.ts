import type { LocalRunSignal, LocalRunSignals } from './run-events.ts';

type ProgressSignal = Extract<LocalRunSignal, { kind: 'progress' }>;

interface Entry {
  readonly listeners: Set<(signal: LocalRunSignal) => void>;
  active: number;
  seq: number;
  last: ProgressSignal | undefined;
}

/**
 * The runs this process is applying or rolling back: their progress messages and "the journal changed" signals for
 * the event streams watching them, and whether they still work (a stream does not end while its run is active here).
 *
 * @example
 * ```ts
 * const local = new LocalRuns();
 * const done = local.begin(runId);
 * local.progress(runId, 'step 1 of 4');
 * done();
 * ```
 */
export class LocalRuns implements LocalRunSignals {
  readonly #entries = new Map<string, Entry>();
  readonly #onJournalChange: ((runId: string) => void) | undefined;

  /** `onJournalChange` hears of every journal change before the watchers do (e.g. to drop a cached read). */
  constructor(options: { onJournalChange?: (runId: string) => void } = {}) {
    this.#onJournalChange = options.onJournalChange;
  }

  #entry(runId: string): Entry {
    let entry = this.#entries.get(runId);
    if (entry === undefined) {
      entry = { listeners: new Set(), active: 0, seq: 0, last: undefined };
      this.#entries.set(runId, entry);
    }
    return entry;
  }

  #drop(runId: string, entry: Entry): void {
    if (entry.active === 0 && entry.listeners.size === 0) this.#entries.delete(runId);
  }

  subscribe(runId: string, listener: (signal: LocalRunSignal) => void): () => void {
    const entry = this.#entry(runId);
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
      this.#drop(runId, entry);
    };
  }

  isActive(runId: string): boolean {
    return (this.#entries.get(runId)?.active ?? 0) > 0;
  }

  /** Marks `runId` as worked on by this process until the returned function is called. */
  begin(runId: string): () => void {
    const entry = this.#entry(runId);
    entry.active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      entry.active -= 1;
      this.#onJournalChange?.(runId);
      this.#emit(entry, { kind: 'journal' });
      this.#drop(runId, entry);
    };
  }

  /** The latest progress message of `runId` while this process still works on it. */
  lastProgress(runId: string): ProgressSignal | undefined {
    const entry = this.#entries.get(runId);
    return entry !== undefined && entry.active > 0 ? entry.last : undefined;
  }

  progress(runId: string, message: string): void {
    const entry = this.#entry(runId);
    entry.seq += 1;
    entry.last = { kind: 'progress', seq: entry.seq, message, time: new Date() };
    this.#emit(entry, entry.last);
    this.#drop(runId, entry);
  }

  /** The journal of `runId` just changed: watchers read it now rather than at their next poll. */
  journalChanged(runId: string): void {
    this.#onJournalChange?.(runId);
    const entry = this.#entries.get(runId);
    if (entry !== undefined) this.#emit(entry, { kind: 'journal' });
  }

  #emit(entry: Entry, signal: LocalRunSignal): void {
    for (const listener of entry.listeners) listener(signal);
  }
}

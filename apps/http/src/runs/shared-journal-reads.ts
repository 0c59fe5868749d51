import type { RunJournalSnapshot } from './run-events.ts';

interface Entry {
  /** Bumped by `invalidate`: a read begun under an older generation is not handed to later callers. */
  generation: number;
  value?: { snapshot: RunJournalSnapshot | undefined; at: number; generation: number };
  inFlight?: { promise: Promise<RunJournalSnapshot | undefined>; generation: number };
}

export interface SharedJournalReadsOptions {
  /** How long a read of `runId` serves every stream of it (short for runs this process executes, longer otherwise). */
  intervalMs(runId: string): number;
  now?: () => number;
}

/**
 * The journal poller of this instance: every event stream of a run asks it for the run's snapshot, and it reads the
 * journal at most once per interval per run, whatever the number of streams (one read in flight at a time, its
 * result shared by all who asked meanwhile). `invalidate` (a local run just wrote its journal) makes the next
 * request read again at once.
 *
 * @example
 * ```ts
 * const reads = new SharedJournalReads((runId) => readSnapshot(runId), { intervalMs: () => 1500 });
 * const [a, b] = await Promise.all([reads.snapshot('r1'), reads.snapshot('r1')]); // one journal read
 * ```
 */
export class SharedJournalReads {
  readonly #read: (runId: string) => Promise<RunJournalSnapshot | undefined>;
  readonly #intervalMs: (runId: string) => number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #reads = 0;

  constructor(read: (runId: string) => Promise<RunJournalSnapshot | undefined>, options: SharedJournalReadsOptions) {
    this.#read = read;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? Date.now;
  }

  /** Journal reads made so far (each reads the run, its steps and its rollback). */
  reads(): number {
    return this.#reads;
  }

  /** The run's snapshot, no older than its interval: shared with every other caller for that run. */
  snapshot(runId: string): Promise<RunJournalSnapshot | undefined> {
    this.#sweep();
    let entry = this.#entries.get(runId);
    if (entry === undefined) {
      entry = { generation: 0 };
      this.#entries.set(runId, entry);
    }
    const { value, inFlight, generation } = entry;
    if (value !== undefined && value.generation === generation && this.#now() - value.at < this.#intervalMs(runId)) return Promise.resolve(value.snapshot);
    if (inFlight !== undefined && inFlight.generation === generation) return inFlight.promise;
    const current = entry;
    this.#reads += 1;
    const promise = this.#read(runId).then(
      (snapshot) => {
        if (current.inFlight?.promise === promise) current.inFlight = undefined;
        if (current.generation === generation) current.value = { snapshot, at: this.#now(), generation };
        return snapshot;
      },
      (error: unknown) => {
        if (current.inFlight?.promise === promise) current.inFlight = undefined;
        throw error;
      },
    );
    current.inFlight = { promise, generation };
    return promise;
  }

  /** The run's journal changed: the next `snapshot` reads it again. */
  invalidate(runId: string): void {
    const entry = this.#entries.get(runId);
    if (entry === undefined) return;
    entry.generation += 1;
    entry.value = undefined;
  }

  /** Forgets runs nobody asked about for a minute. */
  #sweep(): void {
    const cutoff = this.#now() - 60_000;
    for (const [runId, entry] of this.#entries) {
      if (entry.inFlight === undefined && (entry.value === undefined || entry.value.at < cutoff)) this.#entries.delete(runId);
    }
  }
}

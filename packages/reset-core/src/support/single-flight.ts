/**
 * Collapses concurrent calls for the same key into one: while a call for `key` is in flight, every other call for
 * that key gets the same promise instead of starting its own. Once it settles (either way) the key is free again,
 * so a later call runs afresh. Works inside one process only; pair it with a database lock across processes.
 *
 * @example
 * ```ts
 * const flights = new SingleFlight<string>();
 * const mint = async () => `token for alice, minted at ${Date.now()}`;
 * const [a, b] = await Promise.all([flights.run('alice', mint), flights.run('alice', mint)]); // mint ran once
 * ```
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Runs `work` for `key`, or joins the call already running for it. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    // `work` starts in a microtask, after the key is registered, so even a synchronous throw frees the key.
    const started = Promise.resolve()
      .then(work)
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** How many keys have a call in flight. */
  get size(): number {
    return this.#inFlight.size;
  }
}

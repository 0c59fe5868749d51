/** One settled item of {@link mapConcurrent}: the input, its position, and its value or the reason it failed. */
export type MapConcurrentResult<T, R> =
  | { status: 'fulfilled'; input: T; index: number; value: R }
  | { status: 'rejected'; input: T; index: number; reason: unknown };

/**
 * Runs `fn` over `inputs` with at most `concurrency` calls in flight and yields each settled result as soon as it
 * settles (completion order), with its input and index. A failure is yielded, not thrown, so one bad item does not
 * stop a bulk run. Inputs are pulled lazily, so an endless or paged async source works. Breaking out of the loop
 * stops pulling new inputs (calls already in flight finish in the background).
 *
 * @example
 * ```ts
 * const userIds = ['@alice:example.org', '@bob:example.org'];
 * for await (const result of mapConcurrent(userIds, 32, (userId) => client.admin.getUser(userId))) {
 *   if (result.status === 'rejected') console.error(result.index, result.reason);
 * }
 * ```
 */
export async function* mapConcurrent<T, R>(
  inputs: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  fn: (input: T, index: number) => Promise<R> | R,
): AsyncGenerator<MapConcurrentResult<T, R>, void, undefined> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const isAsync = Symbol.asyncIterator in inputs;
  const asyncIterator = isAsync ? (inputs as AsyncIterable<T>)[Symbol.asyncIterator]() : undefined;
  const syncIterator = isAsync ? undefined : (inputs as Iterable<T>)[Symbol.iterator]();

  // Settled results wait in `queue` (read from `head`, reset when drained); `wake` resumes a waiting consumer.
  let queue: MapConcurrentResult<T, R>[] = [];
  let head = 0;
  let inFlight = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  let index = 0;

  const settle = (result: MapConcurrentResult<T, R>): void => {
    inFlight--;
    queue.push(result);
    if (wake !== undefined) {
      const resume = wake;
      wake = undefined;
      resume();
    }
  };

  const start = (input: T): void => {
    const position = index++;
    inFlight++;
    let pending: Promise<R> | R;
    try {
      pending = fn(input, position);
    } catch (reason) {
      settle({ status: 'rejected', input, index: position, reason });
      return;
    }
    Promise.resolve(pending).then(
      (value) => settle({ status: 'fulfilled', input, index: position, value }),
      (reason: unknown) => settle({ status: 'rejected', input, index: position, reason }),
    );
  };

  try {
    for (;;) {
      // Refill only while no result waits: awaiting an async source lets calls settle meanwhile, and an unconsumed
      // backlog must stop the pulling (that keeps memory bounded by `concurrency`).
      while (!exhausted && inFlight < concurrency && head === queue.length) {
        const next = syncIterator !== undefined ? syncIterator.next() : await asyncIterator!.next();
        if (next.done === true) exhausted = true;
        else start(next.value);
      }
      if (head < queue.length) {
        const result = queue[head++]!;
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        yield result;
        continue;
      }
      if (exhausted && inFlight === 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!exhausted) {
      if (syncIterator !== undefined) syncIterator.return?.();
      else await asyncIterator!.return?.();
    }
  }
}

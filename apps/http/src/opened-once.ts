/**
 * Opens a store once (its migrations run on the first call only); a failed opening is tried again next time, so a
 * database that was down at the first request is picked up once it answers.
 *
 * @example
 * ```ts
 * const plans = openedOnce(() => openPlanStore(connection.db));
 * const stored = await (await plans()).get(planId);
 * ```
 */
export function openedOnce<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined;
  return () => {
    opened ??= open().catch((error: unknown) => {
      opened = undefined;
      throw error;
    });
    return opened;
  };
}

import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitUntilOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Checked before each attempt; a string stops the wait with that reason (e.g. "the process exited"). */
  abortReason?: () => string | undefined;
}

/**
 * Polls `check` until it returns true; rejects with the reason when `abortReason` fires or the deadline passes.
 *
 * @example
 * await waitUntil(async () => (await fetch(url)).ok, { what: 'moto', timeoutMs: 20_000 });
 */
export async function waitUntil(check: () => Promise<boolean>, options: WaitUntilOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 200;
  for (;;) {
    const aborted = options.abortReason?.();
    if (aborted !== undefined) throw new Error(`${options.what}: ${aborted}`);
    if (await check().catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(`${options.what}: not ready after ${options.timeoutMs} ms`);
    await sleep(interval);
  }
}

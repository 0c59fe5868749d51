import { setTimeout as sleep } from 'node:timers/promises';
import { SynapseClientError, type SynapseErrorCode } from './synapse-client-error.ts';

/** How long {@link BackgroundTask.wait} polls. */
export interface WaitOptions {
  /** Give up after this long (default 60 000 ms). */
  timeoutMs?: number;
  /** Pause between polls (default 250 ms). */
  pollIntervalMs?: number;
}

/**
 * A long-running Synapse operation (a room deletion, a history purge, a user redaction, ...) started by a call that
 * returned its id: `status()` reads it once, `wait()` polls until it is done (resolving to the last status) or
 * failed (rejecting with the task's failure code), or the deadline passes (its timeout code).
 */
export interface BackgroundTask<S> {
  readonly id: string;
  status(): Promise<S>;
  wait(options?: WaitOptions): Promise<S>;
}

/** What a {@link BackgroundTask} needs to know about one kind of operation. */
export interface BackgroundTaskSpec<S> {
  readonly id: string;
  /** For messages: `Room delete`, `Purge of history`, ... */
  readonly what: string;
  /** The status route, for errors (`GET /_synapse/admin/...`). */
  readonly statusPath: string;
  readonly fetch: () => Promise<S>;
  /** Reads a status: finished, failed (with Synapse's error text, if any) or still running (with its state's name). */
  readonly state: (status: S) => { readonly kind: 'done' } | { readonly kind: 'failed'; readonly error?: string | undefined } | { readonly kind: 'running'; readonly name: string };
  readonly failedCode: SynapseErrorCode;
  readonly timeoutCode: SynapseErrorCode;
  /** Next steps when it failed. */
  readonly onFailure: readonly string[];
}

/**
 * Builds the handle of a started operation.
 *
 * @example
 * ```ts
 * const task = backgroundTask({
 *   id: 'abc', what: 'Purge of history', statusPath: '/_synapse/admin/v1/purge_history_status/abc',
 *   fetch: async () => ({ status: 'complete' }),
 *   state: (s) => (s.status === 'complete' ? { kind: 'done' } : s.status === 'failed' ? { kind: 'failed' } : { kind: 'running', name: s.status }),
 *   failedCode: 'background_task_failed', timeoutCode: 'background_task_timeout', onFailure: ['Check the Synapse logs.'],
 * });
 * await task.wait({ timeoutMs: 10_000 });
 * ```
 */
export function backgroundTask<S>(spec: BackgroundTaskSpec<S>): BackgroundTask<S> {
  const wait = async (options: WaitOptions = {}): Promise<S> => {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const status = await spec.fetch();
      const state = spec.state(status);
      if (state.kind === 'done') return status;
      if (state.kind === 'failed') {
        throw new SynapseClientError({
          code: spec.failedCode,
          message: `${spec.what} ${spec.id} failed${state.error === undefined ? '' : `: ${state.error}`}`,
          nextSteps: [...spec.onFailure],
          method: 'GET',
          path: spec.statusPath,
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new SynapseClientError({
          code: spec.timeoutCode,
          message: `${spec.what} ${spec.id} was still "${state.name}" when the deadline passed`,
          nextSteps: ['Wait longer (timeoutMs), or read its status later (status()).'],
          method: 'GET',
          path: spec.statusPath,
        });
      }
      await sleep(Math.min(options.pollIntervalMs ?? 250, left));
    }
  };
  return Object.freeze({ id: spec.id, status: spec.fetch, wait });
}

import { describeProgress, type ProgressListener } from '@matrix-reset/reset-core';

/** Where progress goes: stderr, or in a test any stream that says whether it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

/**
 * Shows the progress of one reset-core call while it runs: `onProgress` is the call's listener, `close` ends the
 * display (a task list draws its last frame) once the call has returned or thrown, before its result is printed.
 */
export interface ProgressDisplay {
  readonly onProgress: ProgressListener;
  close(outcome?: { readonly error: unknown }): Promise<void>;
}

/**
 * Progress as plain lines, one per event ({@link describeProgress}): what a pipeline's log shows.
 *
 * @example
 * const display = plainLines(process.stderr);
 * display.onProgress({ type: 'message', message: 'plan: observing dev' }); // "plan: observing dev\n" on stderr
 */
export function plainLines(stream: ProgressStream): ProgressDisplay {
  return {
    onProgress: (event) => void stream.write(`${describeProgress(event)}\n`),
    close: async () => undefined,
  };
}

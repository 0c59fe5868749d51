import type { ProgressDisplay, ProgressStream } from './progress-display.ts';
import { plainLines } from './progress-display.ts';

/**
 * The progress display for `stream` (stderr by default): a live task list when it is a terminal of a known width,
 * plain lines otherwise (a terminal that reports 0 columns, as a fresh pseudo-terminal does, would truncate every
 * line of the list away). The task list (listr2) is loaded only when it is drawn.
 *
 * @example
 * const display = await openProgress();
 * try { await doctor(environment, connection, { onProgress: display.onProgress }); } finally { await display.close(); }
 */
export async function openProgress(options: { stream?: ProgressStream; now?: () => number } = {}): Promise<ProgressDisplay> {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY !== true || (stream.columns ?? 0) <= 0) return plainLines(stream);
  const { TaskListDisplay } = await import('./task-list-display.ts');
  return new TaskListDisplay(stream, options.now ?? Date.now);
}

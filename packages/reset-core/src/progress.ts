/**
 * What long work reports while it runs, as data: a terminal front end draws a task list with rates and ETAs from it,
 * a pipeline prints one plain line per event ({@link describeProgress}). Events carry counts, names and waits, never a
 * secret.
 */
export type ProgressEvent =
  /** A plan's step began (`position` counts from 0 of `total`). */
  | { readonly type: 'step-started'; readonly stepId: string; readonly kind: string; readonly description: string; readonly position: number; readonly total: number }
  /** A step finished; `ms` is its wall time in this attempt. */
  | { readonly type: 'step-finished'; readonly stepId: string; readonly ms: number }
  | { readonly type: 'step-failed'; readonly stepId: string; readonly message: string }
  /** The current step (or the call) waits on something outside (a pod, a rollout, a snapshot). */
  | { readonly type: 'waiting'; readonly stepId: string | undefined; readonly waitingFor: string }
  /** Items done of a counted task (`total` undefined when unknown): credentials checked, rows cleared, users re-provisioned. */
  | { readonly type: 'count'; readonly stepId: string | undefined; readonly task: string; readonly done: number; readonly total: number | undefined; readonly unit: string }
  /** Anything else worth a line. */
  | { readonly type: 'message'; readonly message: string };

/** Receives progress events; a throwing listener is the caller's bug, not the work's. */
export type ProgressListener = (event: ProgressEvent) => void;

/**
 * One plain line for an event, as a pipeline log shows it.
 *
 * @example
 * describeProgress({ type: 'count', stepId: '03-clear-credentials', task: 'clear', done: 500, total: 1200, unit: 'rows' });
 * // '03-clear-credentials: clear 500/1200 rows'
 */
export function describeProgress(event: ProgressEvent): string {
  switch (event.type) {
    case 'step-started':
      return `${event.stepId}: ${event.description}`;
    case 'step-finished':
      return `${event.stepId}: finished in ${event.ms} ms`;
    case 'step-failed':
      return `${event.stepId}: failed: ${event.message}`;
    case 'waiting':
      return `${event.stepId === undefined ? '' : `${event.stepId}: `}waiting for ${event.waitingFor}`;
    case 'count':
      return `${event.stepId === undefined ? '' : `${event.stepId}: `}${event.task} ${event.done}${event.total === undefined ? '' : `/${event.total}`} ${event.unit}`;
    case 'message':
      return event.message;
  }
}

import type { ProgressEvent } from '@matrix-reset/reset-core';

/** A `count` progress event. */
export type CountEvent = Extract<ProgressEvent, { type: 'count' }>;

/** Where a counted task stood when it was first seen: its rate is measured from there. */
export interface CountStart {
  readonly at: number;
  readonly done: number;
}

/**
 * A counted task as one line for a terminal: done of total, the rate since `start` and the time left at that rate
 * (rate and ETA once a second has passed and something was done).
 *
 * @example
 * countLine({ type: 'count', stepId: undefined, task: 'doctor:', done: 1500, total: 10000, unit: 'checked' }, { at: 0, done: 0 }, 5000);
 * // 'doctor: 1,500/10,000 checked · 300/s · ETA 29 s'
 */
export function countLine(event: CountEvent, start: CountStart, now: number): string {
  const parts = [`${event.task} ${count(event.done)}${event.total === undefined ? '' : `/${count(event.total)}`} ${event.unit}`];
  const seconds = (now - start.at) / 1000;
  const rate = seconds >= 1 ? (event.done - start.done) / seconds : 0;
  if (rate > 0) {
    parts.push(`${rate >= 10 ? count(Math.round(rate)) : rate.toFixed(1)}/s`);
    if (event.total !== undefined && event.total > event.done) parts.push(`ETA ${duration((event.total - event.done) / rate)}`);
  }
  return parts.join(' · ');
}

/** Seconds as an operator reads them: `8 s`, `3 min 05 s`, `2 h 10 min`. */
export function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A step's wall time: `812 ms`, `4.2 s`, `3 min 05 s`. */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return duration(Math.round(ms / 1000));
}

import type { DoctorProgress, ProgressListener, VerifyProgress } from '@matrix-reset/reset-core';

/*
 * Until every reset-core call reports ProgressEvents: each call's own progress shape turned into events, so that one
 * display shows them all. Each adapter goes when its call takes a ProgressListener.
 */

/** doctor's counts as `count` events (as a plain line: `doctor: 500/1200 checked`). */
export function doctorCounts(onProgress: ProgressListener): (progress: DoctorProgress) => void {
  return (p) => onProgress({ type: 'count', stepId: undefined, task: 'doctor:', done: p.examined, total: p.total, unit: 'checked' });
}

/** Each finished verify check as a line: `verify: messaging passed (412 ms)`. */
export function verifyChecks(onProgress: ProgressListener): (progress: VerifyProgress) => void {
  return (p) => {
    if (p.type === 'finished') onProgress({ type: 'message', message: `verify: ${p.check.name} ${p.check.status} (${p.check.durationMs} ms)` });
  };
}

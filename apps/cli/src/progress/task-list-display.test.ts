import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import type { ProgressEvent } from '@matrix-reset/reset-core';
import { describe, expect, it } from 'vitest';
import { openProgress } from './open-progress.ts';

/** A terminal 100 columns wide that keeps everything drawn on it. */
function terminal(): { stream: Writable & { isTTY: boolean; columns: number; rows: number }; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
    { isTTY: true, columns: 100, rows: 40 },
  );
  return { stream, text: () => stripVTControlCharacters(chunks.join('')) };
}

/** A clock the test moves. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let at = 1_000_000;
  return { now: () => at, advance: (ms) => (at += ms) };
}

/** Lets the task list draw a frame (listr2 redraws every ~100 ms). */
const frame = () => sleep(250);

const step = (position: number, stepId: string, description: string): ProgressEvent => ({ type: 'step-started', stepId, kind: stepId.slice(3), description, position, total: 3 });

describe('progress on a terminal', () => {
  it("a run's steps as a task list: done, the current wait with its time, a count with rate and ETA, a failure", async () => {
    const { stream, text } = terminal();
    const time = clock();
    const display = await openProgress({ stream, now: time.now });
    display.onProgress({ type: 'message', message: 'run r1: full reset of dev (3 steps)' });
    display.onProgress(step(0, '01-scale-down', 'scale statefulset synapse to 0'));
    display.onProgress({ type: 'waiting', stepId: '01-scale-down', waitingFor: 'pods of synapse to be gone' });
    time.advance(4_000);
    await sleep(1_100);
    expect(text()).toMatch(/01-scale-down {2}scale statefulset synapse to 0\n\s+\S+ waiting for pods of synapse to be gone \(4 s\)/);
    display.onProgress({ type: 'step-finished', stepId: '01-scale-down', ms: 4_200 });
    display.onProgress(step(1, '02-clear-credentials', 'clear the stored credentials'));
    display.onProgress({ type: 'count', stepId: '02-clear-credentials', task: 'clear', done: 0, total: 1_000, unit: 'rows' });
    time.advance(2_000);
    display.onProgress({ type: 'count', stepId: '02-clear-credentials', task: 'clear', done: 500, total: 1_000, unit: 'rows' });
    await frame();
    expect(text()).toContain('clear 500/1,000 rows · 250/s · ETA 2 s');
    display.onProgress({ type: 'step-finished', stepId: '02-clear-credentials', ms: 2_000 });
    display.onProgress(step(2, '03-verify', 'verify the app can chat'));
    display.onProgress({ type: 'step-failed', stepId: '03-verify', message: 'room creation answered 500' });
    await display.close({ error: new Error('run failed') });

    const output = text();
    expect(output.indexOf('run r1: full reset of dev (3 steps)')).toBeLessThan(output.indexOf('01-scale-down'));
    const last = output.slice(output.lastIndexOf('01-scale-down') - 2);
    expect(last).toMatch(/✔ 01-scale-down \(4.2 s\) {2}scale statefulset synapse to 0/);
    expect(last).toMatch(/✔ 02-clear-credentials \(2 s\) {2}clear the stored credentials/);
    expect(last).toMatch(/✖ 03-verify {2}verify the app can chat\n.*room creation answered 500/);
  });

  it('a resumed run shows the steps from where it resumes; steps never reached are marked not run', async () => {
    const { stream, text } = terminal();
    const display = await openProgress({ stream, now: Date.now });
    display.onProgress(step(1, '02-clear-credentials', 'clear the stored credentials'));
    display.onProgress({ type: 'step-failed', stepId: '02-clear-credentials', message: 'lock lost' });
    await display.close({ error: new Error('run failed') });
    const output = text();
    expect(output).not.toContain('step 1 of 3');
    expect(output).toMatch(/✖ 02-clear-credentials/);
    expect(output).toMatch(/↓ step 3 of 3: not run/);
  });

  it("doctor's count is a line of its own with rate and ETA, ticked when the call ends", async () => {
    const { stream, text } = terminal();
    const time = clock();
    const display = await openProgress({ stream, now: time.now });
    display.onProgress({ type: 'count', stepId: undefined, task: 'doctor:', done: 500, total: 10_000, unit: 'checked' });
    time.advance(5_000);
    display.onProgress({ type: 'count', stepId: undefined, task: 'doctor:', done: 3_000, total: 10_000, unit: 'checked' });
    await frame();
    expect(text()).toContain('doctor: 3,000/10,000 checked · 500/s · ETA 14 s');
    time.advance(14_000);
    display.onProgress({ type: 'count', stepId: undefined, task: 'doctor:', done: 10_000, total: 10_000, unit: 'checked' });
    await display.close();
    expect(text()).toMatch(/✔ doctor: 10,000\/10,000 checked · 500\/s\n?/);
  });

  it('messages with no task running are lines of their own', async () => {
    const { stream, text } = terminal();
    const display = await openProgress({ stream });
    display.onProgress({ type: 'message', message: 'snapshot r2 first, so the clear can be restored' });
    display.onProgress({ type: 'message', message: 'tenant_alpha: batch 1, 3 cleared' });
    await display.close();
    expect(text()).toBe('snapshot r2 first, so the clear can be restored\ntenant_alpha: batch 1, 3 cleared\n');
  });
});

describe('progress without a terminal', () => {
  it('is one plain line per event, as describeProgress words it', async () => {
    const { stream, text } = terminal();
    stream.isTTY = false;
    const display = await openProgress({ stream });
    display.onProgress(step(0, '01-scale-down', 'scale statefulset synapse to 0'));
    display.onProgress({ type: 'waiting', stepId: '01-scale-down', waitingFor: 'pods of synapse to be gone' });
    display.onProgress({ type: 'count', stepId: undefined, task: 'doctor:', done: 500, total: 1_200, unit: 'checked' });
    display.onProgress({ type: 'step-finished', stepId: '01-scale-down', ms: 812 });
    await display.close();
    expect(text()).toBe(
      [
        '01-scale-down: scale statefulset synapse to 0',
        '01-scale-down: waiting for pods of synapse to be gone',
        'doctor: 500/1200 checked',
        '01-scale-down: finished in 812 ms',
        '',
      ].join('\n'),
    );
  });
});

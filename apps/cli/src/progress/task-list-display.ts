import { describeProgress, type ProgressEvent } from '@matrix-reset/reset-core';
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import { countLine, duration, elapsed, type CountEvent, type CountStart } from './count-rate.ts';
import type { ProgressDisplay, ProgressStream } from './progress-display.ts';

/** listr2's default renderer, drawing on the stream it is given (stderr) whether or not stdout is a terminal. */
class TerminalRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

type Wrapper = ListrTaskWrapper<unknown, typeof TerminalRenderer, typeof TerminalRenderer>;
type Outcome = 'done' | 'not-run' | Error;

/** One line of the task list: a step of a run (its live output: the current wait or count), or a counted task. */
class Slot {
  title: string;
  output: string | undefined = undefined;
  started = false;
  wait: { readonly for: string; readonly since: number } | undefined = undefined;
  readonly counts = new Map<string, CountStart>();
  #wrapper: Wrapper | undefined = undefined;
  #outcome: Outcome | undefined = undefined;
  readonly #settled: Promise<void>;
  #resolve: () => void = () => undefined;

  constructor(title: string) {
    this.title = title;
    this.#settled = new Promise((resolve) => (this.#resolve = resolve));
  }

  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  /** Shows the title and output on the task list (once its task runs; until then they wait here). */
  show(): void {
    if (this.#wrapper === undefined) return;
    this.#wrapper.title = this.title;
    if (this.output !== undefined) this.#wrapper.output = this.output;
  }

  settle(outcome: Outcome): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    this.#resolve();
  }

  /** The listr2 task: shows the slot until it settles, then completes, fails or says it did not run. */
  async run(wrapper: Wrapper): Promise<void> {
    this.#wrapper = wrapper;
    this.show();
    await this.#settled;
    this.show();
    if (this.#outcome === 'not-run') wrapper.skip(`${this.title}: not run`);
    else if (this.#outcome instanceof Error) throw this.#outcome;
  }
}

/** The list on screen: the steps of a run (from `offset` of `total`), or one counted task (`key`, its task name). */
interface TaskList {
  readonly slots: readonly Slot[];
  readonly offset: number;
  readonly total: number | undefined;
  readonly key: string | undefined;
  readonly byStep: Map<string, Slot>;
}

/**
 * Progress on a terminal as a live task list (listr2) on stderr: a run's steps as they start and finish, the current
 * wait (with its time so far) or count (with rate and ETA) under the running step, and a counted task of its own
 * (doctor's checks) as one line. A message shows under the running task, or as a line of its own when none runs.
 *
 * A list begins with the first step or count event, so a confirmation prompt, which comes before any step, never
 * meets a list being drawn; other writes to the stream while one is drawn appear after its last frame.
 *
 * @example
 * const display = new TaskListDisplay(process.stderr, Date.now);
 * display.onProgress({ type: 'step-started', stepId: '01-scale-down', kind: 'scale-down', description: 'scale synapse to 0', position: 0, total: 3 });
 * await display.close();
 */
export class TaskListDisplay implements ProgressDisplay {
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  #list: TaskList | undefined = undefined;
  /** Settles when every list begun so far has drawn its last frame: one list on screen at a time. */
  #drawn: Promise<void> = Promise.resolve();
  #ticker: NodeJS.Timeout | undefined = undefined;

  constructor(stream: ProgressStream, now: () => number) {
    this.#stream = stream;
    this.#now = now;
  }

  readonly onProgress = (event: ProgressEvent): void => {
    switch (event.type) {
      case 'step-started':
        return this.#stepStarted(event);
      case 'step-finished':
        return this.#stepEnded(event, 'done', ` (${elapsed(event.ms)})`);
      case 'step-failed':
        return this.#stepEnded(event, new Error(event.message), '');
      case 'waiting': {
        const slot = event.stepId === undefined ? this.#running() : this.#list?.byStep.get(event.stepId);
        if (slot === undefined) return this.#line(event);
        slot.wait = { for: event.waitingFor, since: this.#now() };
        this.#showWait(slot);
        this.#ticker ??= setInterval(() => this.#list?.slots.forEach((s) => this.#showWait(s)), 1000).unref();
        return;
      }
      case 'count':
        return this.#count(event);
      case 'message': {
        const slot = this.#running();
        if (slot === undefined) return this.#line(event);
        slot.output = event.message;
        slot.show();
        return;
      }
    }
  };

  async close(outcome?: { readonly error: unknown }): Promise<void> {
    this.#end(outcome === undefined ? 'done' : new Error('did not finish'));
    clearInterval(this.#ticker);
    await this.#drawn;
  }

  #stepStarted(event: Extract<ProgressEvent, { type: 'step-started' }>): void {
    let list = this.#list;
    if (list === undefined || list.key !== undefined || list.total !== event.total || event.position < list.offset) {
      const slots = Array.from({ length: Math.max(event.total - event.position, 1) }, (_, i) => new Slot(`step ${event.position + i + 1} of ${event.total}`));
      list = this.#begin({ slots, offset: event.position, total: event.total, key: undefined, byStep: new Map() });
    }
    const index = event.position - list.offset;
    const slot = list.slots[index];
    if (slot === undefined) return this.#line(event);
    for (const passed of list.slots.slice(0, index)) if (!passed.started) passed.settle('not-run');
    slot.title = `${event.stepId}  ${event.description}`;
    slot.started = true;
    list.byStep.set(event.stepId, slot);
    slot.show();
  }

  #stepEnded(event: Extract<ProgressEvent, { type: 'step-finished' | 'step-failed' }>, outcome: Outcome, suffix: string): void {
    const slot = this.#list?.byStep.get(event.stepId);
    if (slot === undefined) return this.#line(event);
    // The time goes right after the step id: a long description is cut at the terminal's edge.
    slot.title = `${event.stepId}${suffix}${slot.title.slice(event.stepId.length)}`;
    slot.wait = undefined;
    slot.settle(outcome);
  }

  #count(event: CountEvent): void {
    const list = this.#list;
    // A count of a step shows under it; a count of its own is a one-line list (the same task's next count updates it).
    let slot =
      event.stepId !== undefined ? list?.byStep.get(event.stepId) : list?.key === undefined ? this.#running() : list.key === event.task ? list.slots[0] : undefined;
    const ownLine = slot === undefined || list?.key === event.task;
    if (slot === undefined) {
      if (list !== undefined && list.key === undefined) return this.#line(event);
      slot = new Slot(event.task);
      slot.started = true;
      this.#begin({ slots: [slot], offset: 0, total: undefined, key: event.task, byStep: new Map() });
    }
    const start = slot.counts.get(event.task) ?? { at: this.#now(), done: event.done };
    slot.counts.set(event.task, start);
    slot.wait = undefined;
    if (ownLine) slot.title = countLine(event, start, this.#now());
    else slot.output = countLine(event, start, this.#now());
    slot.show();
  }

  /** The task that runs now: the last one started and not settled. */
  #running(): Slot | undefined {
    return this.#list?.slots.findLast((slot) => slot.started && !slot.settled);
  }

  #showWait(slot: Slot): void {
    if (slot.wait === undefined || slot.settled) return;
    slot.output = `waiting for ${slot.wait.for} (${duration((this.#now() - slot.wait.since) / 1000)})`;
    slot.show();
  }

  #line(event: ProgressEvent): void {
    this.#stream.write(`${describeProgress(event)}\n`);
  }

  /** Ends the list on screen, then draws `list` once it has gone. */
  #begin(list: TaskList): TaskList {
    this.#end('done');
    this.#list = list;
    const stream = this.#stream as NodeJS.WriteStream;
    // The list is made when it is drawn: listr2's output capture must wrap the stream as it is then, not while an
    // earlier list still holds it.
    this.#drawn = this.#drawn
      .then(() =>
        new Listr<unknown, typeof TerminalRenderer, typeof TerminalRenderer>(
          list.slots.map((slot) => ({ title: slot.title, task: (_context: unknown, wrapper: Wrapper) => slot.run(wrapper) })),
          {
            concurrent: false,
            exitOnError: false,
            registerSignalListeners: false,
            renderer: TerminalRenderer,
            fallbackRenderer: TerminalRenderer,
            rendererOptions: {
              logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }),
              collapseErrors: false,
              formatOutput: 'truncate',
            },
          },
        ).run(),
      )
      .then(() => undefined);
    return list;
  }

  /** Settles every task of the list on screen: those running with `outcome`, those never started as not run. */
  #end(outcome: Outcome): void {
    for (const slot of this.#list?.slots ?? []) slot.settle(slot.started ? outcome : 'not-run');
    this.#list = undefined;
  }
}

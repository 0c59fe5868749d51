import { appendFileSync } from 'node:fs';
import type { Kinds } from './kinds.ts';
import type { ObjectStore } from './object-store.ts';

/** One reconciler: reads the store, writes what should change; must be idempotent. */
export interface Reconciler {
  readonly name: string;
  reconcile(): void | Promise<void>;
}

/**
 * The shape every built-in controller shares: a name, the store it reconciles and the kinds it looks up.
 *
 * @example
 * class PodCounter extends KindsReconciler {
 *   readonly name = 'pod-counter';
 *   reconcile(): void {
 *     console.log(this.store.list(this.kinds.pod, undefined).length);
 *   }
 * }
 */
export abstract class KindsReconciler implements Reconciler {
  abstract readonly name: string;
  protected readonly store: ObjectStore;
  protected readonly kinds: Kinds;

  constructor(store: ObjectStore, kinds: Kinds) {
    this.store = store;
    this.kinds = kinds;
  }

  abstract reconcile(): void | Promise<void>;
}

/**
 * Runs every reconciler after each batch of store changes (and every `periodMs`), one pass at a time, like a
 * controller manager with a single work queue. Errors are logged to `logFile` and retried on the next pass.
 *
 * @example
 * const loop = new ControllerLoop(store, [statefulSets, deployments], '/tmp/sim/controllers.log');
 * loop.start();
 */
export class ControllerLoop {
  readonly #store: ObjectStore;
  readonly #reconcilers: readonly Reconciler[];
  readonly #logFile: string;
  readonly #periodMs: number;
  #running = false;
  #dirty = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(store: ObjectStore, reconcilers: readonly Reconciler[], logFile: string, periodMs = 500) {
    this.#store = store;
    this.#reconcilers = reconcilers;
    this.#logFile = logFile;
    this.#periodMs = periodMs;
  }

  start(): void {
    this.#unsubscribe = this.#store.subscribe(() => this.kick());
    this.#timer = setInterval(() => this.kick(), this.#periodMs);
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Schedules a pass (coalesced with any already scheduled). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    setImmediate(() => void this.#run());
  }

  async #run(): Promise<void> {
    do {
      this.#dirty = false;
      for (const reconciler of this.#reconcilers) {
        if (this.#stopped) break;
        try {
          await reconciler.reconcile();
        } catch (error) {
          appendFileSync(this.#logFile, `${new Date().toISOString()} ${reconciler.name}: ${(error as Error).stack ?? String(error)}\n`);
        }
      }
    } while (this.#dirty && !this.#stopped);
    this.#running = false;
  }
}

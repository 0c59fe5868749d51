import {
  backgroundUpdatesEnabled,
  backgroundUpdatesStatus,
  setBackgroundUpdatesEnabled,
  startBackgroundJob,
  type BackgroundJob,
  type BackgroundUpdatesStatus,
} from './admin-background-updates.ts';
import type { ClientContext } from './client-context.ts';

/**
 * The background updates admin API: pause or resume the database's background updates, see which one runs, and
 * queue a job. Reached as `client.admin.backgroundUpdates`.
 *
 * @example
 * ```ts
 * const { currentUpdates } = await client.admin.backgroundUpdates.status();
 * for (const [database, update] of Object.entries(currentUpdates)) console.log(database, update.name, update.totalItemCount);
 * ```
 */
export class SynapseBackgroundUpdatesAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Whether background updates run (on every database).
   *
   * @example
   * ```ts
   * const { enabled } = await client.admin.backgroundUpdates.getEnabled();
   * ```
   */
  getEnabled(): Promise<{ enabled: boolean }> {
    return backgroundUpdatesEnabled(this.#context);
  }

  /**
   * Pauses (`false`) or resumes (`true`) background updates until Synapse restarts. A running query is not
   * cancelled; do not leave them paused for long.
   *
   * @example
   * ```ts
   * await client.admin.backgroundUpdates.setEnabled(false);
   * await client.admin.backgroundUpdates.setEnabled(true);
   * ```
   */
  setEnabled(enabled: boolean): Promise<{ enabled: boolean }> {
    return setBackgroundUpdatesEnabled(this.#context, enabled);
  }

  /**
   * Whether updates are enabled, and the update each database is running.
   *
   * @example
   * ```ts
   * const { enabled, currentUpdates } = await client.admin.backgroundUpdates.status();
   * ```
   */
  status(): Promise<BackgroundUpdatesStatus> {
    return backgroundUpdatesStatus(this.#context);
  }

  /**
   * Queues a job and starts it; `bad_request` when the same job is still queued.
   *
   * @example
   * ```ts
   * await client.admin.backgroundUpdates.startJob({ jobName: 'regenerate_directory' });
   * ```
   */
  startJob(job: BackgroundJob): Promise<void> {
    return startBackgroundJob(this.#context, job);
  }
}

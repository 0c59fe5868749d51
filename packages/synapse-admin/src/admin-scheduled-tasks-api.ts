import { listScheduledTasks, type ScheduledTask, type ScheduledTaskFilters } from './admin-scheduled-tasks.ts';
import type { ClientContext } from './client-context.ts';

/**
 * The tasks of Synapse's task scheduler. Reached as `client.admin.scheduledTasks`.
 *
 * @example
 * ```ts
 * const failed = await client.admin.scheduledTasks.list({ status: 'failed' });
 * ```
 */
export class SynapseScheduledTasksAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Every task matching the filters (all of them without filters), in one answer.
   *
   * @example
   * ```ts
   * const tasks = await client.admin.scheduledTasks.list({ actionName: 'shutdown_and_purge_room', resourceId: '!ops:example.org' });
   * for (const task of tasks) console.log(task.id, task.status, task.error);
   * ```
   */
  list(filters: ScheduledTaskFilters = {}): Promise<ScheduledTask[]> {
    return listScheduledTasks(this.#context, filters);
  }
}

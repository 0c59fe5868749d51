import { clearSelectedRows } from './clear-selected-rows.ts';
import { restoreCleared } from './restore-cleared.ts';
import type { StepDefinition } from './step-definition.ts';

/** The run id of the snapshot taken before rows of deactivated users are cleared. */
export function deactivatedUsersRunId(runId: string): string {
  return `${runId}_d`;
}

/**
 * Only when the operator asks for it (`clearDeactivated`, `matrix-reset plan --clear-deactivated`): clears the stored
 * credentials of rows naming deactivated Matrix users, against a snapshot of just those rows. Whether such a user
 * chats again is the app's decision (reactivating is never ours to do); without this step those rows are reported
 * apart from the drift a repair fixes and left alone. Undone by restoring the rows still cleared.
 */
export const clearDeactivatedUsers: StepDefinition = {
  kind: 'clear-deactivated-users',
  describe({ report, clearDeactivated }) {
    if (!clearDeactivated) return undefined;
    return {
      description:
        'Clear the stored credentials of rows naming deactivated Matrix users (as asked: --clear-deactivated), in batches, against their own snapshot; ' +
        'the users stay deactivated, and the app provisions those rows again only if it points them at another Matrix user',
      observed: { deactivated: report.totals.deactivated },
      undo: 'Restore those rows from their snapshot (rows written meanwhile are kept)',
    };
  },
  async execute(context) {
    const { selected, ...rest } = await clearSelectedRows(context, deactivatedUsersRunId(context.runId), (user) => user?.deactivated === true);
    return { deactivatedUsers: selected, ...rest };
  },
  undo: (context) => restoreCleared(context, deactivatedUsersRunId(context.runId)),
};

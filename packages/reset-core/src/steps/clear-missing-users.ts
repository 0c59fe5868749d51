import { clearSelectedRows } from './clear-selected-rows.ts';
import { restoreCleared } from './restore-cleared.ts';
import type { StepDefinition } from './step-definition.ts';

/** The run id of the snapshot taken before rows of vanished users are cleared (kept apart from the full snapshot). */
export function missingUsersRunId(runId: string): string {
  return `${runId}_m`;
}

/**
 * Clears the stored credentials of rows whose Matrix user no longer exists, against a snapshot of just those rows,
 * so the app provisions them again. Undone by restoring the rows of that snapshot that are still cleared.
 */
export const clearMissingUsers: StepDefinition = {
  kind: 'clear-missing-users',
  describe({ report }) {
    return {
      description: 'Clear the stored credentials of rows whose Matrix user no longer exists, in batches, against their own snapshot: the app provisions them again',
      observed: { missingUser: report.totals.missing_user },
      undo: 'Restore those rows from their snapshot (rows the app re-provisioned meanwhile are kept)',
    };
  },
  async execute(context) {
    const { selected, ...rest } = await clearSelectedRows(context, missingUsersRunId(context.runId), (user) => user === undefined);
    return { missingUsers: selected, ...rest };
  },
  undo: (context) => restoreCleared(context, missingUsersRunId(context.runId)),
};

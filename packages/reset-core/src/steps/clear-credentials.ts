import { createUserCreds } from '@matrix-reset/user-creds';
import { restoreCleared } from './restore-cleared.ts';
import { plannedRowsWithCredentials, type StepDefinition } from './step-definition.ts';

/**
 * Clears every stored credential against the run's snapshot (taken by snapshot-credentials), in batches; a clear that
 * died resumes after its last committed batch. The app provisions its users again. Undone by restoring the rows still
 * cleared (only useful together with the old Synapse data).
 */
export const clearCredentials: StepDefinition = {
  kind: 'clear-credentials',
  describe({ observation }) {
    const withCredentials = observation.appDatabase.inventory.reduce((n, s) => n + s.withCredentials, 0);
    return {
      description: `Clear the stored credentials of ${withCredentials} app users in batches (against the snapshot): the app provisions them again`,
      observed: { rowsWithCredentials: withCredentials },
      undo: 'Restore from the snapshot (only useful together with the old Synapse data)',
    };
  },
  async execute(context) {
    const { db, environment } = context.connection;
    const total = plannedRowsWithCredentials(context.plan);
    const result = await createUserCreds({ db, layout: environment.appDatabase.layout }).clear({
      runId: context.runId,
      ...(context.batchSize === undefined ? {} : { batchSize: context.batchSize }),
      onProgress: (p) => context.onProgress?.({ type: 'count', stepId: context.step.id, task: 'clear', done: p.totalCleared, total: Math.max(total, p.totalCleared), unit: 'rows' }),
    });
    return { schemas: result.schemas.length, cleared: result.totalCleared, kept: result.totalKept, snapshotRunId: context.runId };
  },
  undo: (context) => restoreCleared(context, context.runId),
};

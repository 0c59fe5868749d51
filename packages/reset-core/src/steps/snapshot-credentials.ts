import { createUserCreds, DEFAULT_OWN_SCHEMA } from '@matrix-reset/user-creds';
import { nothingToUndo, type StepDefinition, type StepDescription } from './step-definition.ts';

/** Snapshots every stored credential under the run id, before anything is changed. Idempotent per run id (user-creds). */
export const snapshotCredentials: StepDefinition = {
  kind: 'snapshot-credentials',
  describe({ observation, mode }): StepDescription {
    const inventory = observation.appDatabase.inventory;
    const withCredentials = inventory.reduce((n, s) => n + s.withCredentials, 0);
    if (mode === 'repair') {
      return {
        description: `Snapshot the Matrix credentials of ${withCredentials} app users into schema ${DEFAULT_OWN_SCHEMA} under the run id`,
        observed: { rowsWithCredentials: withCredentials, schemas: inventory.length },
        undo: 'Drop the snapshot (matrix-reset creds restore can use it first)',
      };
    }
    return {
      description: `Snapshot the Matrix credentials of ${withCredentials} app users into schema ${DEFAULT_OWN_SCHEMA}`,
      observed: { rowsWithCredentials: withCredentials },
      undo: 'Drop the snapshot',
    };
  },
  async execute(context) {
    const { db, environment } = context.connection;
    const result = await createUserCreds({ db, layout: environment.appDatabase.layout }).snapshot({ runId: context.runId });
    return {
      schemas: result.schemas.length,
      rows: result.schemas.reduce((n, s) => n + s.rowCount, 0),
      alreadyExisted: result.schemas.every((s) => s.alreadyExisted),
    };
  },
  undo: nothingToUndo('a snapshot: kept, so it can still be restored from'),
};

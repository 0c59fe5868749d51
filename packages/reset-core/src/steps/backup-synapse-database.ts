import { backupDatabaseName, describeDatabase, dropDatabase, renameDatabase } from '../synapse-database/database-swap.ts';
import { ResetError } from '../reset-error.ts';
import type { StepDefinition, StepDetail, UndoResult } from './step-definition.ts';
import {
  chosenDatabaseBackup,
  mebibytes,
  observedSynapseDatabase,
  observedText,
  resetsSynapseDatabase,
  synapseDatabaseServer,
  waitForNoSessions,
} from './synapse-database-target.ts';
import { runPlanStep, undoStepContext } from './synapse-database-undo.ts';

/**
 * Moves a Postgres-backed Synapse's database aside under the run's name (`<database>__mr_<run id>`): once every
 * Synapse process is stopped and no session is left on it, `ALTER DATABASE ... RENAME`, instant at any size; the
 * backup is the database itself. Running it again after it renamed is harmless. Its undo swaps the backup back.
 */
export const backupSynapseDatabase: StepDefinition = {
  kind: 'backup-synapse-database',
  describe(input) {
    if (!resetsSynapseDatabase(input) || chosenDatabaseBackup(input).method !== 'rename') return undefined;
    const seen = observedSynapseDatabase(input);
    const { name } = seen.database;
    return {
      description:
        `Wait until no session is left on Synapse's database ${name} (${mebibytes(seen.database.sizeBytes)}, owner ${seen.database.owner}), ` +
        `then rename it to ${backupDatabaseName(name, '<run id>')}: the backup, instant at any size`,
      observed: {
        database: name,
        owner: seen.database.owner,
        encoding: seen.database.encoding,
        collate: seen.database.collate,
        ctype: seen.database.ctype,
        method: 'rename',
        terminateSessions: input.terminateDatabaseSessions,
      },
      undo: `Stop Synapse, drop the database the reset made, rename the backup back to ${name}, start Synapse again: the tokens issued before the reset work again`,
    };
  },
  async execute(context): Promise<StepDetail> {
    const database = observedText(context.step.observed, 'database', context.step.id);
    const backup = backupDatabaseName(database, context.runId);
    const server = await synapseDatabaseServer(context.connection);
    try {
      // One client: its queries one after the other (pg deprecates queries issued while one runs).
      const current = await describeDatabase(server.client, database);
      const moved = await describeDatabase(server.client, backup);
      if (current === undefined && moved !== undefined) return { database, backup, alreadyRenamed: true, sessionsEnded: 0 };
      if (current === undefined) {
        throw new ResetError('step_failed', `Synapse's database ${database} is gone, and there is no backup ${backup}`, {
          nextSteps: ['Someone dropped or renamed it during the run: find out, then roll back or make a new plan.'],
        });
      }
      if (moved !== undefined) {
        throw new ResetError('step_failed', `Both ${database} and its backup ${backup} exist`, {
          nextSteps: [`Compare the two (psql -l): drop the one that is not Synapse's data, then resume.`],
        });
      }
      const ended = await waitForNoSessions(server.client, database, context, context.step.observed['terminateSessions'] === true);
      await renameDatabase(server.client, database, backup);
      return { database, backup, alreadyRenamed: false, sessionsEnded: ended, sizeBytes: current.sizeBytes };
    } finally {
      await server.close();
    }
  },
  async undo(context): Promise<UndoResult> {
    const database = observedText(context.step.observed, 'database', context.step.id);
    const backup = backupDatabaseName(database, context.runId);
    const server = await synapseDatabaseServer(context.connection);
    try {
      const moved = await describeDatabase(server.client, backup);
      if (moved === undefined) {
        return { outcome: 'nothing-to-undo', summary: `no backup ${backup}: ${database} was never moved aside`, cannotUndo: [], detail: { database } };
      }
      if (context.dryRun) return { outcome: 'would-undo', summary: `would stop Synapse, drop the new ${database} and rename ${backup} back`, cannotUndo: [], detail: { database, backup } };
      // Synapse must not hold the new database while it is dropped, nor start on it half-way: stopped first, started last.
      await runPlanStep(context, 'scale-down');
      const fresh = await describeDatabase(server.client, database);
      if (fresh !== undefined) {
        await waitForNoSessions(server.client, database, undoStepContext(context), false);
        await dropDatabase(server.client, database);
      }
      await renameDatabase(server.client, backup, database);
      await runPlanStep(context, 'scale-up');
      return { outcome: 'undone', summary: `${database} is the database from before the reset again (the one the reset made was dropped)`, cannotUndo: [], detail: { database, backup, droppedFresh: fresh !== undefined } };
    } finally {
      await server.close();
    }
  },
};

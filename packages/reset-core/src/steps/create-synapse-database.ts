import { createDatabaseLike, describeDatabase } from '../synapse-database/database-swap.ts';
import { nothingToUndo, type StepDefinition } from './step-definition.ts';
import { chosenDatabaseBackup, observedSynapseDatabase, observedText, resetsSynapseDatabase, synapseDatabaseServer } from './synapse-database-target.ts';

/**
 * Creates Synapse's database again, empty and made like the one moved aside (owner, encoding, LC_COLLATE, LC_CTYPE,
 * from template0): Synapse creates its schema in it when it starts. A database of that name already there (this step
 * ran before) is kept.
 */
export const createSynapseDatabase: StepDefinition = {
  kind: 'create-synapse-database',
  describe(input) {
    // A dumped database is emptied in place: nothing to create.
    if (!resetsSynapseDatabase(input) || chosenDatabaseBackup(input).method !== 'rename') return undefined;
    const { database } = observedSynapseDatabase(input);
    return {
      description: `Create an empty ${database.name} like the one moved aside (owner ${database.owner}, ${database.encoding}, collation ${database.collate}, ctype ${database.ctype}, from template0)`,
      observed: { database: database.name, owner: database.owner, encoding: database.encoding, collate: database.collate, ctype: database.ctype },
    };
  },
  async execute(context) {
    const observed = context.step.observed;
    const name = observedText(observed, 'database', context.step.id);
    const shape = {
      owner: observedText(observed, 'owner', context.step.id),
      encoding: observedText(observed, 'encoding', context.step.id),
      collate: observedText(observed, 'collate', context.step.id),
      ctype: observedText(observed, 'ctype', context.step.id),
    };
    const server = await synapseDatabaseServer(context.connection);
    try {
      if ((await describeDatabase(server.client, name)) !== undefined) return { database: name, alreadyCreated: true };
      await createDatabaseLike(server.client, name, shape);
      return { database: name, alreadyCreated: false };
    } finally {
      await server.close();
    }
  },
  undo: nothingToUndo("the backup step's undo drops this database when it renames the backup back"),
};

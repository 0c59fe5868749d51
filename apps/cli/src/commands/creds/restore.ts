import { connectAppDatabase, credsRestore } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../../base-command.ts';
import { confirmFromFlags } from '../../confirm-destructive.ts';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { batchSizeFlag, confirmEnvironmentFlag, requiredRunIdFlag } from '../../flags.ts';
import { renderRestore } from '../../render/creds.ts';
import { withConnection } from '../../with-connection.ts';

/** `matrix-reset creds restore`: put a run's backed-up credentials back into rows still cleared. Destructive. */
export default class CredsRestore extends ChangingCommand<typeof CredsRestore> {
  static override summary = 'Put the credentials of a snapshot back (only into rows that are still cleared)';
  static override description =
    "Verifies the run's backup checksum, then writes the values back in batches, only into rows whose credentials " +
    'are still cleared: anything the app provisioned since is never overwritten. Asks you to type the environment ' +
    'name; without a terminal: --yes, or for a protected environment --confirm-environment NAME.';
  static override examples = [
    { description: 'See what would be restored', command: '<%= config.bin %> <%= command.id %> --env dev --run-id reset_0611 --dry-run' },
    { description: 'Restore, confirming interactively', command: '<%= config.bin %> <%= command.id %> --env dev --run-id reset_0611' },
    { description: 'Without a terminal', command: '<%= config.bin %> <%= command.id %> --env dev --run-id reset_0611 --yes' },
  ];
  static override flags = everyFlagHasEnv({
    'confirm-environment': confirmEnvironmentFlag(),
    'run-id': requiredRunIdFlag('Run id of the snapshot to restore'),
    'batch-size': batchSizeFlag(),
  });

  override async run(): Promise<void> {
    const result = await withConnection(this.flags, connectAppDatabase, (connection, onProgress) =>
      credsRestore(connection, {
        runId: this.flags['run-id'],
        batchSize: this.flags['batch-size'],
        dryRun: this.flags['dry-run'],
        confirm: confirmFromFlags(this.flags, { protected: connection.environment.protected, commandLine: (name) => `matrix-reset creds restore --env ${name}` }),
        onProgress,
      }),
    );
    this.result(result, renderRestore);
  }
}

import { connectAppDatabase, credsClear } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../../base-command.ts';
import { confirmFromFlags } from '../../confirm-destructive.ts';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { batchSizeFlag, confirmEnvironmentFlag, runIdFlag } from '../../flags.ts';
import { renderClear } from '../../render/creds.ts';
import { withConnection } from '../../with-connection.ts';

/** `matrix-reset creds clear`: snapshot, then clear the stored credentials in short batches. Destructive. */
export default class CredsClear extends ChangingCommand<typeof CredsClear> {
  static override summary = 'Clear the stored Matrix credentials (after a snapshot), in short batches';
  static override description =
    'Backs up (creds snapshot) and then sets the credential columns to NULL batch by batch, leaving alone any row the ' +
    'app rewrote since the backup. Users get new credentials on their next chat action. Resumable: run it again with ' +
    'the same --run-id after an interruption. Asks you to type the environment name; without a terminal: --yes, or for a protected environment --confirm-environment NAME.';
  static override examples = [
    { description: 'See what would be cleared', command: '<%= config.bin %> <%= command.id %> --env dev --dry-run' },
    { description: 'Clear, confirming interactively', command: '<%= config.bin %> <%= command.id %> --env dev' },
    { description: 'In a pipeline', command: 'MATRIX_RESET_YES=1 <%= config.bin %> <%= command.id %> --env dev --run-id reset_0611 --json' },
  ];
  static override flags = everyFlagHasEnv({
    'confirm-environment': confirmEnvironmentFlag(),
    'run-id': runIdFlag('Run id of the backup and of the clear (default: a new one; reuse it to resume)'),
    'batch-size': batchSizeFlag(),
  });

  override async run(): Promise<void> {
    const result = await withConnection(this.flags, connectAppDatabase, (connection, onProgress) =>
      credsClear(connection, {
        runId: this.flags['run-id'],
        batchSize: this.flags['batch-size'],
        dryRun: this.flags['dry-run'],
        confirm: confirmFromFlags(this.flags, { protected: connection.environment.protected, commandLine: (name) => `matrix-reset creds clear --env ${name}` }),
        onProgress,
      }),
    );
    this.result(result, renderClear);
  }
}

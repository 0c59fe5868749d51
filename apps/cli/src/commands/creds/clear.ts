import { connectAppDatabase, credsClear } from '@matrix-reset/reset-core';
import { loadEnvironment } from '../../load-environment.ts';
import { ChangingCommand } from '../../base-command.ts';
import { confirmDestructive, confirmEnvironmentFlag } from '../../confirm-destructive.ts';
import { Flags } from '@oclif/core';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { renderTable } from '../../render-table.ts';

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
    'run-id': Flags.string({ env: 'MATRIX_RESET_RUN_ID', description: 'Run id of the backup and of the clear (default: a new one; reuse it to resume)' }),
    'batch-size': Flags.integer({ env: 'MATRIX_RESET_BATCH_SIZE', description: 'Rows per transaction', default: 10_000, min: 1, max: 1_000_000 }),
  });

  override async run(): Promise<void> {
    const environment = await loadEnvironment(this.flags);
    const connection = await connectAppDatabase(environment);
    const result = await credsClear(connection, {
      runId: this.flags['run-id'],
      batchSize: this.flags['batch-size'],
      dryRun: this.flags['dry-run'],
      confirm: ({ summary }) =>
        confirmDestructive({
          action: summary,
          expected: environment.name,
          protected: environment.protected,
          yes: this.flags.yes,
          confirmEnvironment: this.flags['confirm-environment'],
          commandLine: `matrix-reset creds clear --env ${environment.name}`,
        }),
      onProgress: (message) => this.progress(message),
    }).finally(() => connection.close());
    this.result(result, (r) =>
      [
        `Environment ${r.environment}, run ${r.runId}: ${r.dryRun ? 'would clear' : 'cleared'} ${r.totalCleared.toLocaleString('en-US')}, kept ${r.totalKept.toLocaleString('en-US')}`,
        '',
        renderTable(r.schemas, [
          { key: 'schema', header: 'SCHEMA' },
          { key: 'cleared', header: 'CLEARED' },
          { key: 'kept', header: 'KEPT' },
        ]),
        r.dryRun ? '' : `Undo with: matrix-reset creds restore --env ${r.environment} --run-id ${r.runId}\n`,
      ].join('\n'),
    );
  }
}

import { connectAppDatabase, credsRestore } from '@matrix-reset/reset-core';
import { loadEnvironment } from '../../load-environment.ts';
import { ChangingCommand } from '../../base-command.ts';
import { confirmDestructive, confirmEnvironmentFlag } from '../../confirm-destructive.ts';
import { Flags } from '@oclif/core';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { renderTable } from '../../render-table.ts';

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
    'run-id': Flags.string({ env: 'MATRIX_RESET_RUN_ID', description: 'Run id of the snapshot to restore', required: true }),
    'batch-size': Flags.integer({ env: 'MATRIX_RESET_BATCH_SIZE', description: 'Rows per transaction', default: 10_000, min: 1, max: 1_000_000 }),
  });

  override async run(): Promise<void> {
    const environment = await loadEnvironment(this.flags);
    const connection = await connectAppDatabase(environment);
    const result = await credsRestore(connection, {
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
          commandLine: `matrix-reset creds restore --env ${environment.name}`,
        }),
      onProgress: (message) => this.progress(message),
    }).finally(() => connection.close());
    this.result(result, (r) =>
      [
        `Environment ${r.environment}, run ${r.runId}: ${r.dryRun ? 'would restore' : 'restored'} ${r.totalRestored.toLocaleString('en-US')}, skipped ${r.totalSkipped.toLocaleString('en-US')}`,
        '',
        renderTable(r.schemas, [
          { key: 'schema', header: 'SCHEMA' },
          { key: 'inSnapshot', header: 'IN SNAPSHOT' },
          { key: 'restored', header: 'RESTORED' },
          { key: 'skipped', header: 'SKIPPED' },
        ]),
      ].join('\n'),
    );
  }
}

import { Flags } from '@oclif/core';
import { connectEnvironment, pruneBackups } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../base-command.ts';
import { confirmFromFlags } from '../confirm-destructive.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { confirmEnvironmentFlag } from '../flags.ts';
import { parseAge, renderPrune } from '../render/prune.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset prune --older-than 30d`: drop the backups of old runs (Synapse database backups, credential snapshots). Destructive. */
export default class Prune extends ChangingCommand<typeof Prune> {
  static override summary = 'Drop the backups of runs older than an age: Synapse databases moved aside and credential snapshots';
  static override description =
    'A Postgres reset keeps Synapse\'s old database as <database>__mr_<run id>, and every reset copies the app\'s credential rows ' +
    'first: both stay until pruned. Runs still running or being rolled back keep theirs. A run whose database backup is dropped ' +
    'can no longer be rolled back. Asks you to type the environment name (without a terminal: --yes, or for a protected ' +
    'environment --confirm-environment NAME); --dry-run lists what would go.';
  static override examples = [
    { description: 'See what would go', command: '<%= config.bin %> <%= command.id %> --env dev --older-than 30d --dry-run' },
    { description: 'In a pipeline', command: 'MATRIX_RESET_YES=1 <%= config.bin %> <%= command.id %> --env dev --older-than 12w --json' },
  ];
  static override flags = everyFlagHasEnv({
    'older-than': Flags.string({ env: 'MATRIX_RESET_OLDER_THAN', required: true, description: 'Age of the runs whose backups go: a number and m, h, d or w (e.g. 30d)' }),
    'confirm-environment': confirmEnvironmentFlag(),
  });

  override async run(): Promise<void> {
    const olderThanMs = parseAge(this.flags['older-than']);
    const result = await withConnection(this.flags, connectEnvironment, (connection) =>
      pruneBackups(connection, {
        olderThanMs,
        dryRun: this.flags['dry-run'],
        confirm: confirmFromFlags(this.flags, { commandLine: (name) => `matrix-reset prune --env ${name} --older-than ${this.flags['older-than']}` }),
      }),
    );
    this.result(result, renderPrune);
  }
}

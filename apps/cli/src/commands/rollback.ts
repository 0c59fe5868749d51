import { Args } from '@oclif/core';
import { connectEnvironment, rollbackRun } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../base-command.ts';
import { confirmFromFlags } from '../confirm-destructive.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { confirmEnvironmentFlag, takeOverLockFlag } from '../flags.ts';
import { renderRollback } from '../render/rollback.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset rollback RUN`: undo what a run did, where it can be undone, and say plainly what cannot. Destructive. */
export default class Rollback extends ChangingCommand<typeof Rollback> {
  static override summary = 'Undo what a run did, in reverse order, and say what cannot be undone';
  static override description =
    'Takes the environment lock and undoes every step of the run that started: credentials the run cleared come back from ' +
    'its snapshots (rows the app wrote since are kept), tokens a repair re-provisioned go back to their snapshot values ' +
    'only where the row still holds the repair\'s token, admin-token targets get their previous version back. A wiped ' +
    'Synapse, a deleted volume or a registered user cannot be undone: the output says so. Journaled; running it again ' +
    'after it finished changes nothing. Asks you to type the environment name (without a terminal: --yes, or for a ' +
    'protected environment --confirm-environment NAME).';
  static override examples = [
    { description: 'See what would be undone and what cannot', command: '<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev --dry-run' },
    { description: 'In a pipeline', command: 'MATRIX_RESET_YES=1 <%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev --json' },
    { description: 'A protected environment without a terminal', command: '<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env prod --confirm-environment prod' },
  ];
  static override flags = everyFlagHasEnv({ 'confirm-environment': confirmEnvironmentFlag(), 'take-over-lock': takeOverLockFlag() });
  static override args = { run: Args.string({ description: 'The run id (matrix-reset status lists them)', required: true }) };

  override async run(): Promise<void> {
    const runId = this.args.run as string;
    const result = await withConnection(this.flags, connectEnvironment, (connection, onProgress) =>
      rollbackRun(runId, connection, {
        dryRun: this.flags['dry-run'],
        confirm: confirmFromFlags(this.flags, { commandLine: (name) => `matrix-reset rollback ${runId} --env ${name}` }),
        onProgress,
        takeOverLockFrom: this.flags['take-over-lock'],
      }),
    );
    this.result(result, renderRollback);
  }
}

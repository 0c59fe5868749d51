import { Args } from '@oclif/core';
import { connectEnvironment, resumeRun } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { batchSizeFlag } from '../flags.ts';
import { renderRun } from '../render/run.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset resume RUN`: continue a run that stopped, from its journal. */
export default class Resume extends BaseCommand<typeof Resume> {
  static override summary = 'Continue a run that stopped (a failed step, a crash): finished steps are not repeated';
  static override description =
    'Takes the environment lock, reloads the run\'s plan from the journal and runs every step not finished; a step that ' +
    'started but did not finish runs again (every step is idempotent). The run was confirmed when it was applied. ' +
    'A run that was rolled back (or whose rollback did not finish) is refused: make a new plan instead.';
  static override examples = [{ description: 'Continue a run', command: '<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev' }];
  static override flags = everyFlagHasEnv({ 'batch-size': batchSizeFlag() });
  static override args = { run: Args.string({ description: 'The run id (matrix-reset status lists them)', required: true }) };

  override async run(): Promise<void> {
    const result = await withConnection(this.flags, connectEnvironment, (connection, onProgress) =>
      resumeRun(this.args.run as string, connection, { onProgress, batchSize: this.flags['batch-size'] }),
    );
    this.result(result, renderRun);
  }
}

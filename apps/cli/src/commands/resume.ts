import { Args } from '@oclif/core';
import { connectEnvironment, resumeRun } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { batchSizeFlag, takeOverLockFlag } from '../flags.ts';
import { renderRun } from '../render/run.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset resume RUN`: continue a run that stopped, from its journal. */
export default class Resume extends BaseCommand<typeof Resume> {
  static override summary = 'Continue a run that stopped (a failed step, a crash): finished steps are not repeated';
  static override description =
    'Takes the environment lock, reloads the run\'s plan from the journal and runs every step not finished; a step that ' +
    'started but did not finish runs again (every step is idempotent). The run was confirmed when it was applied. A Lease left by a dead process of this host ' +
    'is taken over at once; one of another host needs --take-over-lock naming its holder. ' +
    'A run that was rolled back (or whose rollback did not finish) is refused: make a new plan instead.';
  static override examples = [
    { description: 'Continue a run', command: '<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev' },
    { description: 'Its process died on another host', command: `<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev --take-over-lock 'matrix-reset on ci-7 pid 311 start 88@1796160090'` },
  ];
  static override flags = everyFlagHasEnv({ 'batch-size': batchSizeFlag(), 'take-over-lock': takeOverLockFlag() });
  static override args = { run: Args.string({ description: 'The run id (matrix-reset status lists them)', required: true }) };

  override async run(): Promise<void> {
    const result = await withConnection(this.flags, connectEnvironment, (connection, onProgress) =>
      resumeRun(this.args.run as string, connection, { onProgress, batchSize: this.flags['batch-size'], takeOverLockFrom: this.flags['take-over-lock'] }),
    );
    this.result(result, renderRun);
  }
}

import { Flags } from '@oclif/core';
import { connectEnvironment, runStatus, runStatusPage } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { renderRunPage } from '../render/status.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset status`: the journaled runs of an environment, their steps and their rollbacks, a page at a time. */
export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'List the runs of an environment (newest first), their steps and rollbacks, from the journal';
  static override description =
    'Reads the run journal in the app database (schema matrix_reset); changes nothing. Shows --limit runs; when there ' +
    'are more, the last line (and nextCursor in --json) gives the --cursor of the next page.';
  static override examples = [
    { description: 'The latest runs', command: '<%= config.bin %> <%= command.id %> --env dev' },
    { description: 'The page after the first', command: '<%= config.bin %> <%= command.id %> --env dev --cursor <nextCursor of the first page>' },
    { description: 'One run, as JSON', command: '<%= config.bin %> <%= command.id %> --env dev --run r20260101t120000_3fa9 --json' },
  ];
  static override flags = everyFlagHasEnv({
    run: Flags.string({ env: 'MATRIX_RESET_RUN', description: 'Only this run' }),
    limit: Flags.integer({ env: 'MATRIX_RESET_LIMIT', description: 'At most this many runs', default: 10, min: 1 }),
    cursor: Flags.string({ env: 'MATRIX_RESET_CURSOR', description: 'Start after the runs already shown: the cursor a previous page printed', exclusive: ['run'] }),
  });

  override async run(): Promise<void> {
    const { run: runId, limit, cursor } = this.flags;
    const page = await withConnection(this.flags, connectEnvironment, async ({ db, environment }) => {
      if (runId !== undefined) return { environment: environment.name, runs: await runStatus(db, { environment: environment.name, runId }), nextCursor: null };
      const { runs, nextCursor } = await runStatusPage(db, { environment: environment.name, limit, ...(cursor === undefined ? {} : { cursor }) });
      return { environment: environment.name, runs, nextCursor: nextCursor ?? null };
    });
    this.result(page, renderRunPage);
  }
}

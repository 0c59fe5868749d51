import { connectAppDatabase, credsSnapshot } from '@matrix-reset/reset-core';
import { BaseCommand } from '../../base-command.ts';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { runIdFlag } from '../../flags.ts';
import { renderSnapshot } from '../../render/creds.ts';
import { withConnection } from '../../with-connection.ts';

/** `matrix-reset creds snapshot`: back up the stored credentials into matrix-reset's own schema. */
export default class CredsSnapshot extends BaseCommand<typeof CredsSnapshot> {
  static override summary = 'Back up the stored Matrix credentials (in the app database, schema matrix_reset)';
  static override description =
    'Copies the key and credential values of every row holding a credential into a backup table per schema, with a ' +
    'row count and checksum, under a run id. Idempotent per run id. The run id is what creds clear and creds restore take.';
  static override examples = [
    { description: 'Snapshot under a new run id (printed)', command: '<%= config.bin %> <%= command.id %> --env dev' },
    { description: 'Snapshot under a chosen run id', command: '<%= config.bin %> <%= command.id %> --env dev --run-id before_upgrade' },
  ];
  static override flags = everyFlagHasEnv({ 'run-id': runIdFlag('Run id to file the backup under (default: a new one)') });

  override async run(): Promise<void> {
    const snapshot = await withConnection(this.flags, connectAppDatabase, (connection, onProgress) =>
      credsSnapshot(connection, { runId: this.flags['run-id'], onProgress }),
    );
    this.result(snapshot, renderSnapshot);
  }
}

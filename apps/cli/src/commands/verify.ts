import { Flags } from '@oclif/core';
import { connectEnvironment, verify } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { verifyChecks } from '../progress/progress-adapters.ts';
import { EXIT } from '../render-error.ts';
import { renderVerifyReport } from '../render/verify.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset verify`: prove the app can provision users, create rooms and message again; exit 1 on any failure. */
export default class Verify extends BaseCommand<typeof Verify> {
  static override summary = 'Check end to end that Matrix works for the app after a reset';
  static override description =
    'Runs the checks of the runbook\'s "Test Integration" step against the environment\'s Synapse: the admin token is ' +
    'a server admin; two throwaway users (@mr-verify-<random>) are provisioned the way the app does it (admin API ' +
    'without a password, then login-as); one creates a private room, the other joins; a message with a random nonce ' +
    'is sent and read back. Then the room is purged and the users deactivated, even after a failure. The app ' +
    'database is not written. Exit 0: every check passed; 1: a check failed (the table says which, and what to do).';
  static override examples = [
    { description: 'Verify the only environment of matrix-reset.yaml', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Verify dev, as JSON for a pipeline', command: '<%= config.bin %> <%= command.id %> --env dev --json' },
    { description: 'Keep the throwaway users and room to look at them', command: '<%= config.bin %> <%= command.id %> --env dev --keep-artifacts' },
  ];
  static override flags = everyFlagHasEnv({
    'keep-artifacts': Flags.boolean({
      default: false,
      env: 'MATRIX_RESET_KEEP_ARTIFACTS',
      description: 'Do not delete the throwaway room and users (for debugging); the output lists them',
    }),
  });

  override async run(): Promise<void> {
    const report = await withConnection(this.flags, connectEnvironment, (connection, onProgress) =>
      verify(connection, { keepArtifacts: this.flags['keep-artifacts'], onProgress: verifyChecks(onProgress) }),
    );
    this.result(report, renderVerifyReport);
    if (!report.ok) process.exitCode = EXIT.failed;
  }
}

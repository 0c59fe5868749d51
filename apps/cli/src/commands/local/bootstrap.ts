import { Flags } from '@oclif/core';
import { localBootstrap } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../../base-command.ts';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { renderBootstrap } from '../../render/bootstrap.ts';
import { secretReferenceFlag } from '../../secret-reference-flag.ts';

/** `matrix-reset local bootstrap`: register (or reuse) the admin on a local Synapse and write its token to a .env. */
export default class LocalBootstrap extends ChangingCommand<typeof LocalBootstrap> {
  static override summary = 'Create the admin on a local Synapse and write its token into a .env file';
  static override description =
    'The local-development step of the runbook without digging tokens out of logs: registers the admin user with ' +
    "Synapse's registration shared secret (or logs in if it exists), then writes MATRIX_ADMIN_ACCESS_TOKEN and " +
    'MATRIX_ADMIN_USER into the .env file. The shared secret is given as a reference (file:, env:, ...), never as a value.';
  static override examples = [
    { description: 'Against the docker compose Synapse', command: '<%= config.bin %> <%= command.id %> --synapse-url http://localhost:8448 --shared-secret file:./synapse/shared-secret --dotenv .env' },
    { description: 'Secret from an environment variable, a different admin', command: '<%= config.bin %> <%= command.id %> --shared-secret env:SYNAPSE_SHARED_SECRET --admin-user ops' },
    { description: 'Keep the generated password in the .env (lets a later run log in again)', command: '<%= config.bin %> <%= command.id %> --shared-secret file:./secret --keep-password' },
  ];
  static override flags = everyFlagHasEnv({
    'synapse-url': Flags.string({ env: 'MATRIX_RESET_SYNAPSE_URL', description: 'Base URL of the local Synapse', default: 'http://localhost:8008' }),
    'shared-secret': Flags.string({
      env: 'MATRIX_RESET_SHARED_SECRET',
      description: 'Where the registration shared secret is kept: file:/path, env:VAR, dotenv:path#KEY (never the value)',
      required: true,
    }),
    dotenv: Flags.string({ env: 'MATRIX_RESET_DOTENV', description: 'The .env file to write the admin token and user into (not --env-file: Node itself takes that flag)', default: '.env' }),
    'admin-user': Flags.string({ env: 'MATRIX_RESET_ADMIN_USER', description: 'Admin localpart or user id', default: 'admin' }),
    'keep-password': Flags.boolean({
      env: 'MATRIX_RESET_KEEP_PASSWORD',
      description: 'Also write the generated admin password to the .env (MATRIX_ADMIN_PASSWORD)',
      default: false,
    }),
  });

  override async run(): Promise<void> {
    const result = await localBootstrap({
      synapseUrl: this.flags['synapse-url'],
      sharedSecret: secretReferenceFlag('--shared-secret', this.flags['shared-secret']),
      envFile: this.flags.dotenv,
      adminUser: this.flags['admin-user'],
      keepPassword: this.flags['keep-password'],
      dryRun: this.flags['dry-run'],
    });
    this.result(result, renderBootstrap);
  }
}

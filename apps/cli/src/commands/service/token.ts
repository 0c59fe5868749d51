import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { generateServiceToken, SERVICE_SCOPES, serviceTokenConfigSnippet } from '@matrix-reset/reset-core';
import { BaseCommand } from '../../base-command.ts';
import { everyFlagHasEnv } from '../../env-flags.ts';
import { UsageError } from '../../usage-error.ts';
import { writeTokenFile } from '../../write-token-file.ts';

/** `matrix-reset service token`: a bearer token for the HTTP service, written to a file; stdout gets only its hash. */
export default class ServiceToken extends BaseCommand<typeof ServiceToken> {
  static override summary = 'Make a bearer token for the HTTP service';
  static override description =
    'Generates a token (mrs_ + 32 random bytes, base64url), writes it to --out (mode 0600; an existing file is never ' +
    'overwritten) and prints the service.tokens entry to paste into matrix-reset.yaml: its name, scopes and SHA-256. ' +
    'The token itself is never printed. Scopes: credentials:ensure (POST /v1/users/{id}/matrix-credentials), ' +
    'credentials:read (also receive the Matrix access token), runs:write (plans, runs, rollbacks), read (drift, runs, metrics, the status page).';
  static override examples = [
    {
      description: 'A token for the app that provisions chat users and needs their tokens',
      command: '<%= config.bin %> <%= command.id %> --name openmeet-api --scope credentials:ensure --scope credentials:read --out openmeet-api.token',
    },
    { description: 'A read-only token for dashboards and the status page', command: '<%= config.bin %> <%= command.id %> --name grafana --scope read --out grafana.token' },
    { description: 'The entry as JSON', command: '<%= config.bin %> <%= command.id %> --name ops --scope runs:write --scope read --out ops.token --json' },
  ];
  static override flags = everyFlagHasEnv({
    name: Flags.string({
      required: true,
      env: 'MATRIX_RESET_TOKEN_NAME',
      description: 'Name of the token (appears in access logs and errors; a-z, 0-9, ., _ and -)',
    }),
    scope: Flags.string({
      required: true,
      multiple: true,
      options: [...SERVICE_SCOPES],
      env: 'MATRIX_RESET_TOKEN_SCOPE',
      description: 'A scope the token holds (repeat for several)',
    }),
    out: Flags.string({ required: true, env: 'MATRIX_RESET_TOKEN_OUT', description: 'File to write the token to (created with mode 0600; must not exist)' }),
  });

  override async run(): Promise<void> {
    const { name, out } = this.flags;
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name)) {
      throw new UsageError(`--name ${JSON.stringify(name)} is not a token name`, { nextSteps: ['Use a-z, 0-9, ., _ and - (at most 63), e.g. --name openmeet-api'] });
    }
    const scopes = this.flags.scope.filter((scope): scope is (typeof SERVICE_SCOPES)[number] => (SERVICE_SCOPES as readonly string[]).includes(scope));
    const { token, entry } = generateServiceToken({ name, scopes });
    const path = resolve(out);
    await writeTokenFile(path, token.reveal());
    this.progress(`Wrote the token to ${path} (mode 0600). Add the entry below under service: in matrix-reset.yaml and restart the service.`);
    this.result({ ...entry, out: path }, (result) => `${serviceTokenConfigSnippet(result)}\n`);
  }
}

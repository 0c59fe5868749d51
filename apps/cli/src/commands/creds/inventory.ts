import { connectAppDatabase, credsInventory } from '@matrix-reset/reset-core';
import { BaseCommand } from '../../base-command.ts';
import { renderInventory } from '../../render/creds.ts';
import { withConnection } from '../../with-connection.ts';

/** `matrix-reset creds inventory`: count the stored credentials per schema; reads only. */
export default class CredsInventory extends BaseCommand<typeof CredsInventory> {
  static override summary = 'Count the Matrix credentials stored in the app database, per schema';
  static override description =
    'Reads the app database of the configured environment and prints, per schema: rows, rows holding a credential, ' +
    'complete and partial ones, and room references. Changes nothing; never prints a token.';
  static override examples = [
    { description: 'Count in the default environment', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'As JSON, for dev', command: '<%= config.bin %> <%= command.id %> --env dev --json' },
  ];

  override async run(): Promise<void> {
    this.result(await withConnection(this.flags, connectAppDatabase, (connection) => credsInventory(connection)), renderInventory);
  }
}

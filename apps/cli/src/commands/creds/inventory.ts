import { connectAppDatabase, credsInventory } from '@matrix-reset/reset-core';
import { loadEnvironment } from '../../load-environment.ts';
import { BaseCommand } from '../../base-command.ts';
import { renderTable } from '../../render-table.ts';

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
    const connection = await connectAppDatabase(await loadEnvironment(this.flags));
    const inventory = await credsInventory(connection).finally(() => connection.close());
    this.result(inventory, (r) =>
      [
        `Environment ${r.environment}`,
        '',
        renderTable(r.schemas, [
          { key: 'schema', header: 'SCHEMA' },
          { key: 'rows', header: 'ROWS' },
          { key: 'withCredentials', header: 'WITH CREDS' },
          { key: 'complete', header: 'COMPLETE' },
          { key: 'partial', header: 'PARTIAL' },
        ]),
      ].join('\n'),
    );
  }
}

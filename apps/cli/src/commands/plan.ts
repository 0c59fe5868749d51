import { Flags } from '@oclif/core';
import { connectEnvironment, planEnvironment, writePlanFile } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { POSTGRES_RESET_FLAGS } from '../flags.ts';
import { doctorCounts } from '../progress/progress-adapters.ts';
import { renderPlan } from '../render/plan.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset plan`: observe, run the doctor, and write a frozen plan file. Changes nothing. */
export default class PlanCommand extends BaseCommand<typeof PlanCommand> {
  static override summary = 'Write a reset plan for an environment (repair or full reset), changing nothing';
  static override description =
    'Observes the environment (Synapse, its storage, Kubernetes, secret targets, the app database), runs the doctor, ' +
    'and writes a plan file: the steps in order, what each relies on, and whether it can be undone. The file holds no ' +
    'secret and carries a checksum; apply refuses it when edited or when what it observed has changed.';
  static override examples = [
    { description: 'Let the doctor choose', command: '<%= config.bin %> <%= command.id %> --env dev --out dev.plan.json' },
    { description: 'Force a repair, as JSON', command: '<%= config.bin %> <%= command.id %> --env dev --mode repair --out dev.plan.json --json' },
  ];
  static override flags = everyFlagHasEnv({
    out: Flags.string({ env: 'MATRIX_RESET_PLAN', description: 'Where to write the plan file', default: 'matrix-reset.plan.json' }),
    mode: Flags.string({ env: 'MATRIX_RESET_MODE', description: 'auto (follow the doctor), repair, full-reset or restore-admin', options: ['auto', 'repair', 'full-reset', 'restore-admin'], default: 'auto' }),
    ...POSTGRES_RESET_FLAGS,
    'clear-deactivated': Flags.boolean({
      env: 'MATRIX_RESET_CLEAR_DEACTIVATED',
      default: false,
      description: "Repair: also clear the stored credentials of rows naming deactivated Matrix users (the app's decision; left alone by default)",
    }),
  });

  override async run(): Promise<void> {
    const plan = await withConnection(this.flags, connectEnvironment, async (connection, onProgress) => {
      onProgress({ type: 'message', message: `plan: observing ${connection.environment.name}` });
      const planned = await planEnvironment(connection.environment, connection, {
        mode: this.flags.mode as 'auto' | 'repair' | 'full-reset' | 'restore-admin',
        allowExternalDatabase: this.flags['allow-external-database'],
        wipeMedia: this.flags['wipe-media'],
        terminateDatabaseSessions: this.flags['terminate-database-sessions'],
        databaseBackup: this.flags['database-backup'] as 'auto' | 'rename' | 'dump',
        clearDeactivated: this.flags['clear-deactivated'],
        doctor: { onProgress: doctorCounts(onProgress) },
      });
      return planned.plan;
    });
    await writePlanFile(this.flags.out, plan);
    this.progress(`plan: written to ${this.flags.out}`);
    this.result({ file: this.flags.out, plan }, ({ file, plan: p }) => renderPlan(p, file));
  }
}

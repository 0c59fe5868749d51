import { Args } from '@oclif/core';
import { applyPlan, connectEnvironment, readPlanFile } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../base-command.ts';
import { confirmFromFlags } from '../confirm-destructive.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { batchSizeFlag, confirmEnvironmentFlag, takeOverLockFlag } from '../flags.ts';
import { renderPlan } from '../render/plan.ts';
import { renderRun } from '../render/run.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset apply PLAN`: run a plan file's steps, journaled and resumable. Destructive. */
export default class Apply extends ChangingCommand<typeof Apply> {
  static override summary = 'Apply a plan file: refuses a stale plan, locks the environment, journals every step';
  static override description =
    'Reads the plan, takes the environment lock, re-reads what the plan observed (a change refuses the plan), asks you ' +
    'to type the environment name (without a terminal: --yes, or for a protected environment --confirm-environment ' +
    'NAME, which --yes does not replace), then runs the steps, journaling each before and after. ' +
    'If it stops, continue with matrix-reset resume RUN.';
  static override examples = [
    { description: 'See the plan without applying it', command: '<%= config.bin %> <%= command.id %> dev.plan.json --env dev --dry-run' },
    { description: 'In a pipeline', command: 'MATRIX_RESET_YES=1 <%= config.bin %> <%= command.id %> dev.plan.json --env dev --json' },
    { description: 'A protected environment in a pipeline: name it', command: 'MATRIX_RESET_CONFIRM_ENVIRONMENT=prod <%= config.bin %> <%= command.id %> prod.plan.json --env prod --json' },
  ];
  static override flags = everyFlagHasEnv({ 'confirm-environment': confirmEnvironmentFlag(), 'batch-size': batchSizeFlag(), 'take-over-lock': takeOverLockFlag() });
  static override args = { plan: Args.string({ description: 'The plan file written by matrix-reset plan', required: true }) };

  override async run(): Promise<void> {
    const file = this.args.plan as string;
    const plan = await readPlanFile(file);
    if (this.flags['dry-run']) {
      this.result({ dryRun: true, plan }, ({ plan: p }) => renderPlan(p, file));
      return;
    }
    const result = await withConnection(this.flags, connectEnvironment, (connection, onProgress) =>
      applyPlan(plan, connection, {
        confirm: confirmFromFlags(this.flags, { commandLine: (name) => `matrix-reset apply ${file} --env ${name}`, action: (summary) => `apply the ${summary}` }),
        onProgress,
        takeOverLockFrom: this.flags['take-over-lock'],
        batchSize: this.flags['batch-size'],
      }),
    );
    this.result(result, renderRun);
  }
}

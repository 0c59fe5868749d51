import { Args, Flags } from '@oclif/core';
import { applyPlan, connectEnvironment, readPlanFile, type RunResult } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../base-command.ts';
import { confirmDestructive, confirmEnvironmentFlag } from '../confirm-destructive.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { loadEnvironment } from '../load-environment.ts';
import { renderPlan } from './plan.ts';
import { renderRun } from './status.ts';

/** `--batch-size`: rows per transaction when a run clears stored credentials (apply and resume). */
export function batchSizeFlag() {
  return Flags.integer({
    env: 'MATRIX_RESET_BATCH_SIZE',
    description: 'Rows per transaction when the run clears stored credentials (smaller: shorter row locks on a busy table)',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  });
}

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
  static override flags = everyFlagHasEnv({
    'confirm-environment': confirmEnvironmentFlag(),
    'batch-size': batchSizeFlag(),
  });
  static override args = { plan: Args.string({ description: 'The plan file written by matrix-reset plan', required: true }) };

  override async run(): Promise<void> {
    const plan = await readPlanFile(this.args.plan as string);
    if (this.flags['dry-run']) {
      this.result({ dryRun: true, plan }, ({ plan: p }) => renderPlan(p, this.args.plan as string));
      return;
    }
    const environment = await loadEnvironment(this.flags);
    const connection = await connectEnvironment(environment);
    let result: RunResult;
    try {
      result = await applyPlan(plan, connection, {
        confirm: ({ environment: name, protected: isProtected, summary }) =>
          confirmDestructive({
            action: `apply the ${summary}`,
            expected: name,
            protected: isProtected,
            yes: this.flags.yes,
            confirmEnvironment: this.flags['confirm-environment'],
            commandLine: `matrix-reset apply ${this.args.plan as string} --env ${name}`,
          }),
        onProgress: (message) => this.progress(message),
        batchSize: this.flags['batch-size'],
      });
    } finally {
      await connection.close();
    }
    this.result(result, renderRun);
  }
}

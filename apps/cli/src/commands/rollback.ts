import { Args } from '@oclif/core';
import { connectEnvironment, rollbackRun, type RollbackResult } from '@matrix-reset/reset-core';
import { ChangingCommand } from '../base-command.ts';
import { confirmDestructive, confirmEnvironmentFlag } from '../confirm-destructive.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { loadEnvironment } from '../load-environment.ts';
import { renderTable } from '../render-table.ts';

/** `matrix-reset rollback RUN`: undo what a run did, where it can be undone, and say plainly what cannot. Destructive. */
export default class Rollback extends ChangingCommand<typeof Rollback> {
  static override summary = 'Undo what a run did, in reverse order, and say what cannot be undone';
  static override description =
    'Takes the environment lock and undoes every step of the run that started: credentials the run cleared come back from ' +
    'its snapshots (rows the app wrote since are kept), tokens a repair re-provisioned go back to their snapshot values ' +
    'only where the row still holds the repair\'s token, admin-token targets get their previous version back. A wiped ' +
    'Synapse, a deleted volume or a registered user cannot be undone: the output says so. Journaled; running it again ' +
    'after it finished changes nothing. Asks you to type the environment name (without a terminal: --yes, or for a ' +
    'protected environment --confirm-environment NAME).';
  static override examples = [
    { description: 'See what would be undone and what cannot', command: '<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev --dry-run' },
    { description: 'In a pipeline', command: 'MATRIX_RESET_YES=1 <%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env dev --json' },
    { description: 'A protected environment without a terminal', command: '<%= config.bin %> <%= command.id %> r20260101t120000_3fa9 --env prod --confirm-environment prod' },
  ];
  static override flags = everyFlagHasEnv({ 'confirm-environment': confirmEnvironmentFlag() });
  static override args = { run: Args.string({ description: 'The run id (matrix-reset status lists them)', required: true }) };

  override async run(): Promise<void> {
    const runId = this.args.run as string;
    const environment = await loadEnvironment(this.flags);
    const connection = await connectEnvironment(environment);
    let result: RollbackResult;
    try {
      result = await rollbackRun(runId, connection, {
        dryRun: this.flags['dry-run'],
        confirm: ({ environment: name, protected: isProtected, summary }) =>
          confirmDestructive({
            action: summary,
            expected: name,
            protected: isProtected,
            yes: this.flags.yes,
            confirmEnvironment: this.flags['confirm-environment'],
            commandLine: `matrix-reset rollback ${runId} --env ${name}`,
          }),
        onProgress: (message) => this.progress(message),
      });
    } finally {
      await connection.close();
    }
    this.result(result, renderRollback);
  }
}

const HEADLINE: Record<RollbackResult['state'], string> = {
  'rolled-back': 'rolled back',
  'rollback-failed': 'rollback failed',
  running: 'rollback running',
  'dry-run': 'dry run, nothing changed',
  'nothing-to-undo': 'nothing to undo: no step of the run ever started',
};

/** A rollback's result as text: the steps, then every statement of what was not undone. */
export function renderRollback(result: RollbackResult): string {
  const lines = [`Rollback of run ${result.runId} (${result.mode}) of ${result.environment}: ${HEADLINE[result.state]}${result.alreadyRolledBack ? ' (already, earlier: nothing changed now)' : ''}`];
  if (result.steps.length > 0) {
    lines.push(
      renderTable(
        result.steps.map((s) => ({ step: s.stepId, ran: s.ranState, outcome: s.outcome, summary: s.summary })),
        [
          { key: 'step', header: 'STEP' },
          { key: 'ran', header: 'RAN' },
          { key: 'outcome', header: 'UNDO' },
          { key: 'summary', header: 'WHAT' },
        ],
      ).trimEnd(),
    );
  }
  if (result.cannotUndo.length > 0) {
    lines.push(result.state === 'dry-run' ? 'Would NOT be undone:' : 'NOT undone:', ...result.cannotUndo.map((line) => `  - ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

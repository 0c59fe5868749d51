import { Flags } from '@oclif/core';
import { connectEnvironment, runStatus, type JournalRollback, type RunResult, type RunStatus } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { loadEnvironment } from '../load-environment.ts';
import { renderTable } from '../render-table.ts';

/** `matrix-reset status`: the journaled runs of an environment, their steps and their rollbacks. */
export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'List the runs of an environment (newest first), their steps and rollbacks, from the journal';
  static override description = 'Reads the run journal in the app database (schema matrix_reset); changes nothing.';
  static override examples = [
    { description: 'The latest runs', command: '<%= config.bin %> <%= command.id %> --env dev' },
    { description: 'One run, as JSON', command: '<%= config.bin %> <%= command.id %> --env dev --run r20260101t120000_3fa9 --json' },
  ];
  static override flags = everyFlagHasEnv({
    run: Flags.string({ env: 'MATRIX_RESET_RUN', description: 'Only this run' }),
    limit: Flags.integer({ env: 'MATRIX_RESET_LIMIT', description: 'At most this many runs', default: 10, min: 1 }),
  });

  override async run(): Promise<void> {
    const environment = await loadEnvironment(this.flags);
    const connection = await connectEnvironment(environment);
    let runs: RunStatus[];
    try {
      runs = await runStatus(connection.db, { environment: environment.name, limit: this.flags.limit, ...(this.flags.run === undefined ? {} : { runId: this.flags.run }) });
    } finally {
      await connection.close();
    }
    this.result(runs, (list) => (list.length === 0 ? `No runs of ${environment.name}\n` : list.map(renderRun).join('\n')));
  }
}

/** Where a run's rollback stands, as one line; empty if it was never rolled back. */
function renderRollback(rollback: JournalRollback | undefined): string[] {
  if (rollback === undefined) return [];
  const error = rollback.error === undefined ? '' : `: ${rollback.error.code}: ${rollback.error.message}`;
  return [`Rollback: ${rollback.state} (${rollback.updatedAt.toISOString()}, by ${rollback.holder})${error}`];
}

/** One run, its steps and (from `status`) its rollback as text. */
export function renderRun(result: RunResult & { readonly rollback?: JournalRollback | undefined }): string {
  const { run, steps } = result;
  return [
    `Run ${run.id} of ${run.environment} (${run.mode}, plan ${run.planId}): ${run.state}${run.error === undefined ? '' : `: ${run.error.code}: ${run.error.message}`}`,
    ...renderRollback(result.rollback),
    renderTable(
      steps.map((s) => ({ step: s.stepId, state: s.state, attempts: s.attempts, detail: s.detail === null ? '' : JSON.stringify(s.detail) })),
      [
        { key: 'step', header: 'STEP' },
        { key: 'state', header: 'STATE' },
        { key: 'attempts', header: 'ATTEMPTS' },
        { key: 'detail', header: 'DETAIL' },
      ],
    ),
  ].join('\n');
}

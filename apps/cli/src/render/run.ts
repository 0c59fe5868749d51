import { holderIsGone, type JournalRollback, type RunResult } from '@matrix-reset/reset-core';
import { renderTable } from '../render-table.ts';

/** Where a run's rollback stands, as one line; empty if it was never rolled back. */
function rollbackLine(rollback: JournalRollback | undefined): string[] {
  if (rollback === undefined) return [];
  const error = rollback.error === undefined ? '' : `: ${rollback.error.code}: ${rollback.error.message}`;
  return [`Rollback: ${rollback.state} (${rollback.updatedAt.toISOString()}, by ${rollback.holder})${error}`];
}

/** For a run still marked running: a line saying its holder's process is gone, when this host can tell. */
function deadHolderLine(run: RunResult['run']): string[] {
  if (run.state !== 'running' || !holderIsGone(run.holder)) return [];
  return [`Its holder (${run.holder}) is gone: the run stopped there. Continue it with matrix-reset resume ${run.id} (the lock is taken over at once).`];
}

/** One run, its steps and (from `status`) its rollback as text. */
export function renderRun(result: RunResult & { readonly rollback?: JournalRollback | undefined }): string {
  const { run, steps } = result;
  return [
    `Run ${run.id} of ${run.environment} (${run.mode}, plan ${run.planId}): ${run.state}${run.error === undefined ? '' : `: ${run.error.code}: ${run.error.message}`}`,
    ...deadHolderLine(run),
    ...rollbackLine(result.rollback),
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

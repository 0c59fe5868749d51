import type { RollbackResult } from '@matrix-reset/reset-core';
import { renderTable } from '../render-table.ts';

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

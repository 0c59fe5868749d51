import type { Plan } from '@matrix-reset/reset-core';
import { renderSynapseDatabase } from './synapse-storage.ts';

/**
 * The plan as text: mode, reason, warnings, Synapse's Postgres database as observed (when it has one), numbered
 * steps, and the command that applies it.
 */
export function renderPlan(plan: Plan, file: string): string {
  const database = plan.observed.storage.database;
  return [
    `Plan ${plan.id} for ${plan.environment}: ${plan.mode} (${plan.reason})`,
    ...plan.warnings.map((w) => `  warning: ${w}`),
    ...(database === undefined ? [] : ["  Synapse's data: Postgres", ...renderSynapseDatabase(database, '    ')]),
    '',
    ...(plan.steps.length === 0 ? ['  nothing to do'] : plan.steps.map((s) => `  ${s.id}  ${s.description}${s.undoable ? '' : '  [cannot be undone]'}`)),
    '',
    `Apply it with: matrix-reset apply ${file} --env ${plan.environment}`,
    '',
  ].join('\n');
}

import type { Plan } from '@matrix-reset/reset-core';

/** The plan as text: mode, reason, warnings and numbered steps, and the command that applies it. */
export function renderPlan(plan: Plan, file: string): string {
  return [
    `Plan ${plan.id} for ${plan.environment}: ${plan.mode} (${plan.reason})`,
    ...plan.warnings.map((w) => `  warning: ${w}`),
    '',
    ...(plan.steps.length === 0 ? ['  nothing to do'] : plan.steps.map((s) => `  ${s.id}  ${s.description}${s.undoable ? '' : '  [cannot be undone]'}`)),
    '',
    `Apply it with: matrix-reset apply ${file} --env ${plan.environment}`,
    '',
  ].join('\n');
}

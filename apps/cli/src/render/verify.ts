import type { VerifyReport } from '@matrix-reset/reset-core';
import { renderTable } from '../render-table.ts';

/** verify's report as text: one row per check, the next steps of those that failed, what was kept. */
export function renderVerifyReport(report: VerifyReport): string {
  const table = renderTable(report.checks, [
    { key: 'name', header: 'CHECK' },
    { key: 'status', header: 'RESULT', format: (check) => check.status.toUpperCase() },
    { key: 'durationMs', header: 'MS' },
    { key: 'error', header: 'CODE', format: (check) => check.error?.code ?? '-' },
    { key: 'detail', header: 'DETAIL' },
  ]);
  const failed = report.checks.filter((check) => check.error !== undefined);
  const nextSteps = failed.flatMap((check) => (check.error?.nextSteps ?? []).map((step) => `  - ${check.name}: ${step}`));
  return [
    `Environment ${report.environment}: ${report.ok ? 'every check passed' : `${failed.length} check${failed.length === 1 ? '' : 's'} failed`} (${report.durationMs} ms)`,
    '',
    table,
    ...(nextSteps.length > 0 ? ['Next steps:', ...nextSteps, ''] : []),
    ...(report.artifacts.kept ? [`Kept: ${[report.artifacts.roomId, ...report.artifacts.userIds].filter((x) => x !== undefined).join(', ')}`, ''] : []),
  ].join('\n');
}

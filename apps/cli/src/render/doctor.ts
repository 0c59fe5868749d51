import { CREDENTIAL_CLASSES, type DoctorReport } from '@matrix-reset/reset-core';
import { renderTable } from '../render-table.ts';
import { renderSynapseStorage } from './synapse-storage.ts';

/**
 * doctor's report as text: what was examined, the admin token, where Synapse keeps its data (with its Postgres
 * database, when it has one), the classes per schema and the recommendation.
 */
export function renderDoctorReport(report: DoctorReport): string {
  const rows = report.schemas.map((s) => ({ schema: s.schema, examined: s.examined, ...s.counts }));
  const table = renderTable(rows, [
    { key: 'schema', header: 'SCHEMA' },
    { key: 'examined', header: 'EXAMINED' },
    ...CREDENTIAL_CLASSES.map((c) => ({ key: c, header: c.toUpperCase().replaceAll('_', ' ') })),
  ]);
  const r = report.recommendation;
  return [
    `Environment ${report.environment} (layout ${report.layout}): ${report.examined} of ${report.population} stored credentials examined` +
      (report.sample === undefined ? '' : ` (${report.sample.description})`),
    `Admin token: ${report.adminToken}`,
    `Evidence: ${report.evidence.source === 'database' ? "Synapse's database" : "Synapse's API (whoami)"}: ${report.evidence.reason}`,
    ...(report.crossCheck === undefined
      ? []
      : [
          `Cross-check: ${report.crossCheck.checked} tokens checked again with whoami, ${report.crossCheck.disagreements.length} disagreeing` +
            report.crossCheck.disagreements.slice(0, 5).map((d) => `\n  ${d.schema} ${d.key}: database ${d.database}, whoami ${d.api}`).join(''),
        ]),
    ...(report.storage === undefined ? [] : renderSynapseStorage(report.storage.storage, report.storage.database)),
    '',
    table,
    `Recommendation: ${r.action}: ${r.reason}`,
    `  valid ${r.evidence.validPercent}%, broken ${r.evidence.brokenPercent}%, user missing ${r.evidence.missingUserPercent}%, unchecked ${r.evidence.unchecked}`,
    ...(report.findingsTotal > 0 ? [`  ${report.findingsTotal} rows not valid (listed with --json, at most ${report.findings.length})`] : []),
    '',
  ].join('\n');
}

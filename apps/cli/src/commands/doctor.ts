import { Flags } from '@oclif/core';
import { CREDENTIAL_CLASSES, connectEnvironment, doctor, type DoctorReport } from '@matrix-reset/reset-core';
import { loadEnvironment } from '../load-environment.ts';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { EXIT } from '../render-error.ts';
import { renderTable } from '../render-table.ts';

/** `matrix-reset doctor`: measure the drift between the app's stored credentials and Synapse; exit 3 on drift. */
export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Measure how far the stored Matrix credentials have drifted from Synapse';
  static override description =
    'Reads the configured environment without changing anything: checks the stored tokens (all, or an evenly spaced ' +
    'sample) against Synapse with whoami, looks up the users whose token is dead, and recommends the smallest repair. ' +
    'Exit 0: nothing to do; 3: drift found (repair or full reset recommended); 1: inconclusive or failed.';
  static override examples = [
    { description: 'Check every stored token of the only environment', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'A quick estimate for dev, as JSON', command: '<%= config.bin %> <%= command.id %> --env dev --sample 200 --json' },
    { description: 'Use it in a script', command: '<%= config.bin %> <%= command.id %> --env dev; [ $? -eq 3 ] && echo "drift found"' },
  ];
  static override flags = everyFlagHasEnv({
    sample: Flags.integer({ env: 'MATRIX_RESET_SAMPLE', description: 'Check only about this many stored tokens, evenly spaced (default: all)', min: 1 }),
    concurrency: Flags.integer({ env: 'MATRIX_RESET_CONCURRENCY', description: 'whoami calls in flight at once', default: 32, min: 1, max: 256 }),
  });

  override async run(): Promise<void> {
    const environment = await loadEnvironment(this.flags);
    const connection = await connectEnvironment(environment);
    let report: DoctorReport;
    try {
      report = await doctor(environment, connection, {
        ...(this.flags.sample === undefined ? {} : { sample: this.flags.sample }),
        concurrency: this.flags.concurrency,
        onProgress: (p) => this.progress(`doctor: ${p.examined}/${p.total} checked`),
      });
    } finally {
      await connection.close();
    }
    this.result(report, renderDoctorReport);
    const action = report.recommendation.action;
    if (action === 'repair' || action === 'full-reset') process.exitCode = EXIT.drift;
    else if (action === 'inconclusive') process.exitCode = EXIT.failed;
  }
}

function renderDoctorReport(report: DoctorReport): string {
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
    '',
    table,
    `Recommendation: ${r.action}: ${r.reason}`,
    `  valid ${r.evidence.validPercent}%, broken ${r.evidence.brokenPercent}%, user missing ${r.evidence.missingUserPercent}%, unchecked ${r.evidence.unchecked}`,
    ...(report.findingsTotal > 0 ? [`  ${report.findingsTotal} rows not valid (listed with --json, at most ${report.findings.length})`] : []),
    '',
  ].join('\n');
}

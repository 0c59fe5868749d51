import type { DemoScenario, DemoStepTiming, DemoSummary, DemoSynapseDatabase } from './demo.ts';

/**
 * The demo's summary as `matrix-reset demo` prints it on stdout: what was seeded, each scenario (incident, doctor
 * before, plan, apply with a table of step timings, verify, doctor after, the Synapse claim and, on Postgres, what
 * became of Synapse's database) and how to explore.
 *
 * @example
 * process.stdout.write(renderDemoSummary(await runDemo()));
 */
export function renderDemoSummary(summary: DemoSummary): string {
  return [
    `matrix-reset demo${summary.shape === 'sqlite' ? '' : ` (--shape ${summary.shape})`}: ${summary.seeded.users} app users in ${summary.seeded.tenants.join(', ')}; admin ${summary.seeded.admin}; config ${summary.configFile}`,
    '',
    ...summary.scenarios.map((s, i) => renderScenario(s, i)),
    `Between the scenarios the app provisioned ${summary.reprovisioned} users again. Total ${Math.round(summary.durationMs / 1000)} s.`,
    '',
    summary.kept ? 'The sandbox is still running. To explore:' : 'The sandbox was stopped. With --keep, explore it with:',
    ...summary.explore.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

function renderScenario(s: DemoScenario, index: number): string {
  return [
    `${index + 1}. ${s.title}`,
    `   incident:      ${s.incident}`,
    `   doctor before: ${s.doctorBefore.action} (admin token ${s.doctorBefore.adminToken}; ${s.doctorBefore.examined} examined: ${counts(s.doctorBefore.totals)})`,
    `   plan:          ${s.plan.mode}${s.plan.chosenBy === 'operator' ? ' (the doctor could not tell; chosen as an operator would)' : ''}, ${s.plan.steps.length} steps`,
    `   apply:         run ${s.run.id} ${s.run.state} in ${s.run.ms} ms`,
    '',
    stepTable(s.run.steps),
    ...(s.verify === undefined ? [] : [`   verify:        ${s.verify.ok ? 'every check passed' : 'FAILED'} (${s.verify.checks.map((c) => `${c.name} ${c.status}`).join(', ')})`]),
    `   doctor after:  ${s.doctorAfter.action} (${s.doctorAfter.examined} examined: ${counts(s.doctorAfter.totals)})`,
    `   Synapse PVC:   ${s.pvcUid.before === s.pvcUid.after ? `unchanged (uid ${s.pvcUid.after ?? '?'})` : `replaced (uid ${s.pvcUid.before ?? '?'} -> ${s.pvcUid.after ?? '?'})`}`,
    ...(s.synapseDatabase === undefined ? [] : [`   Synapse DB:    ${databaseLine(s.synapseDatabase)}`]),
    '',
  ].join('\n');
}

/** What the scenario did to Synapse's Postgres database: renamed to the backup and a fresh one made, or left alone. */
function databaseLine(db: DemoSynapseDatabase): string {
  if (db.backup === undefined) return `unchanged (${db.name})`;
  const fresh = db.created ? `; a fresh, empty ${db.name} made for Synapse to start on` : '';
  return `${db.name} renamed to ${db.backup} (kept: rollback swaps it back, prune drops it)${fresh}`;
}

function counts(totals: Readonly<Record<string, number>>): string {
  const nonZero = Object.entries(totals).filter(([, n]) => n > 0);
  return nonZero.length === 0 ? 'none' : nonZero.map(([k, n]) => `${k} ${n}`).join(', ');
}

/** STEP, STATE and MS columns, a rule under the headers; MS right-aligned when every step has one (`-` otherwise). */
function stepTable(steps: readonly DemoStepTiming[]): string {
  const timed = steps.length > 0 && steps.every((step) => step.ms !== undefined);
  const rows = [['STEP', 'STATE', 'MS'], ...steps.map((step) => [step.kind, step.state, step.ms === undefined ? '-' : step.ms.toLocaleString('en-US')])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 2 && timed ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n') + '\n';
}

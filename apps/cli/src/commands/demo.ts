import { Flags } from '@oclif/core';
import { runDemo, type DemoScenario, type DemoSummary } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { EXIT } from '../render-error.ts';
import { renderTable } from '../render-table.ts';

/** `matrix-reset demo`: the whole story against a real sandbox (needs a checkout of the repository). */
export default class Demo extends BaseCommand<typeof Demo> {
  static override summary = 'Break a sandbox Synapse the way the incident does, then doctor, plan, apply and verify';
  static override description =
    'Starts the sandbox (Postgres, moto SSM and kube-sim\'s openmeet-dev scenario with a real Synapse pod), seeds an ' +
    'OpenMeet app database (tenant_alpha, tenant_beta, tenant_gamma) whose users hold tokens of that Synapse, writes ' +
    'a matrix-reset.yaml into the sandbox state directory, wipes Synapse\'s volume (scale down, delete the PVC, scale ' +
    'up) and repairs everything with doctor, plan, apply and verify. Then a smaller incident (a few tokens logged ' +
    'out) that a repair fixes without wiping anything. Stops the sandbox unless --keep. Needs a checkout of the ' +
    'repository (the sandbox is one of its tools) and `. scripts/setup`; --config and --env are not used.';
  static override examples = [
    { description: 'Run the demo and stop the sandbox afterwards', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Keep the sandbox running to look around', command: '<%= config.bin %> <%= command.id %> --keep' },
    { description: 'The summary as JSON', command: '<%= config.bin %> <%= command.id %> --json' },
  ];
  static override flags = everyFlagHasEnv({
    keep: Flags.boolean({ default: false, env: 'MATRIX_RESET_DEMO_KEEP', description: 'Leave the sandbox running afterwards (scripts/sandbox down stops it)' }),
    'state-dir': Flags.string({ env: 'MATRIX_RESET_DEMO_STATE', description: 'Sandbox state directory (default <repository>/.sandbox/demo)' }),
  });

  override async run(): Promise<void> {
    const summary = await runDemo({
      keep: this.flags.keep,
      ...(this.flags['state-dir'] === undefined ? {} : { stateDir: this.flags['state-dir'] }),
      onProgress: (message) => this.progress(message),
    });
    this.result(summary, renderDemoSummary);
    const failed = summary.scenarios.some((s) => s.run.state !== 'finished' || s.verify?.ok === false);
    if (failed) process.exitCode = EXIT.failed;
  }
}

function counts(totals: Readonly<Record<string, number>>): string {
  const nonZero = Object.entries(totals).filter(([, n]) => n > 0);
  return nonZero.length === 0 ? 'none' : nonZero.map(([k, n]) => `${k} ${n}`).join(', ');
}

function renderScenario(s: DemoScenario, index: number): string {
  const steps = renderTable(
    s.run.steps.map((step) => ({ ...step, ms: step.ms ?? '-' })),
    [
      { key: 'kind', header: 'STEP' },
      { key: 'state', header: 'STATE' },
      { key: 'ms', header: 'MS' },
    ],
  );
  return [
    `${index + 1}. ${s.title}`,
    `   incident:      ${s.incident}`,
    `   doctor before: ${s.doctorBefore.action} (admin token ${s.doctorBefore.adminToken}; ${s.doctorBefore.examined} examined: ${counts(s.doctorBefore.totals)})`,
    `   plan:          ${s.plan.mode}${s.plan.chosenBy === 'operator' ? ' (the doctor could not tell; chosen as an operator would)' : ''}, ${s.plan.steps.length} steps`,
    `   apply:         run ${s.run.id} ${s.run.state} in ${s.run.ms} ms`,
    '',
    steps,
    ...(s.verify === undefined ? [] : [`   verify:        ${s.verify.ok ? 'every check passed' : 'FAILED'} (${s.verify.checks.map((c) => `${c.name} ${c.status}`).join(', ')})`]),
    `   doctor after:  ${s.doctorAfter.action} (${s.doctorAfter.examined} examined: ${counts(s.doctorAfter.totals)})`,
    `   Synapse PVC:   ${s.pvcUid.before === s.pvcUid.after ? `unchanged (uid ${s.pvcUid.after ?? '?'})` : `replaced (uid ${s.pvcUid.before ?? '?'} -> ${s.pvcUid.after ?? '?'})`}`,
    '',
  ].join('\n');
}

function renderDemoSummary(summary: DemoSummary): string {
  return [
    `matrix-reset demo: ${summary.seeded.users} app users in ${summary.seeded.tenants.join(', ')}; admin ${summary.seeded.admin}; config ${summary.configFile}`,
    '',
    ...summary.scenarios.map((s, i) => renderScenario(s, i)),
    `Between the scenarios the app provisioned ${summary.reprovisioned} users again. Total ${Math.round(summary.durationMs / 1000)} s.`,
    '',
    summary.kept ? 'The sandbox is still running. To explore:' : 'The sandbox was stopped. With --keep, explore it with:',
    ...summary.explore.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../test-support/run-cli.ts';

// Each run starts a sandbox of its own (its own kube-sim scenario): the two run side by side.
describe.concurrent('matrix-reset demo', () => {
  it('--json runs both scenarios against its own sandbox, prints only the summary on stdout and stops the sandbox', async () => {
    // runCli drops MATRIX_RESET_* variables; the sandbox needs the Synapse venv `. scripts/setup` exported.
    const venv = process.env['MATRIX_RESET_SYNAPSE_VENV'] ?? '';
    const run = await runCli(['demo', '--json', '--state-dir', join(await tempDir(), 'sandbox')], { env: { MATRIX_RESET_SYNAPSE_VENV: venv }, timeoutMs: 220_000 });

    expect(run.stderr).not.toContain('error[');
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(run.stdout) as { kept: boolean; scenarios: { plan: { mode: string }; run: { state: string }; doctorAfter: { action: string } }[] };
    expect(summary.scenarios.map((s) => `${s.plan.mode}:${s.run.state}:${s.doctorAfter.action}`)).toEqual(['full-reset:finished:nothing', 'repair:finished:nothing']);
    expect(summary.kept).toBe(false);
    expect(run.stderr).toContain('== Stopping the sandbox');
  }, 240_000);

  it('--shape postgres runs the story on the ananace shape: the full reset renames Synapse\'s database and makes a fresh one', async () => {
    const venv = process.env['MATRIX_RESET_SYNAPSE_VENV'] ?? '';
    const run = await runCli(['demo', '--shape', 'postgres', '--json', '--state-dir', join(await tempDir(), 'sandbox')], { env: { MATRIX_RESET_SYNAPSE_VENV: venv }, timeoutMs: 400_000 });

    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      shape: string;
      scenarios: { plan: { mode: string }; run: { id: string; state: string }; doctorAfter: { action: string }; synapseDatabase: { name: string; backup?: string; created: boolean } }[];
    };
    expect(summary.shape).toBe('postgres');
    expect(summary.scenarios.map((s) => `${s.plan.mode}:${s.run.state}:${s.doctorAfter.action}`)).toEqual(['full-reset:finished:nothing', 'repair:finished:nothing']);
    const [reset] = summary.scenarios;
    expect(reset!.synapseDatabase).toMatchObject({ backup: `${reset!.synapseDatabase.name}__mr_${reset!.run.id}`, created: true });
  }, 420_000);
});

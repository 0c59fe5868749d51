import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { DEMO_CLI, repositoryRoot } from '../repository-root.ts';


/** `matrix-reset demo`: the whole story against a real sandbox (needs a checkout of the repository). */
export default class Demo extends BaseCommand<typeof Demo> {
  static override summary = 'Break a sandbox Synapse the way the incident does, then doctor, plan, apply and verify';
  static override description =
    'Starts the sandbox (Postgres, moto SSM and kube-sim\'s openmeet-dev scenario with a real Synapse pod), seeds an ' +
    'OpenMeet app database (tenant_alpha, tenant_beta, tenant_gamma) whose users hold tokens of that Synapse, writes ' +
    'a matrix-reset.yaml into the sandbox state directory, wipes Synapse\'s volume (scale down, delete the PVC, scale ' +
    'up) and repairs everything with doctor, plan, apply and verify. Then a smaller incident (a few tokens logged ' +
    'out) that a repair fixes without wiping anything. With --shape postgres the same story runs on kube-sim\'s ' +
    'synapse-ananace (the ananace chart: Synapse and a generic worker as Deployments, its database on the sandbox\'s ' +
    'Postgres): the incident wipes that database, and the full reset renames it to <database>__mr_<run id> (kept for ' +
    'rollback) and makes a fresh one, keeping the media PVC. Stops the sandbox unless --keep. Needs a checkout of the ' +
    'repository (the sandbox is one of its tools) and `. scripts/setup`; --config and --env are not used.';
  static override examples = [
    { description: 'Run the demo and stop the sandbox afterwards', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Keep the sandbox running to look around', command: '<%= config.bin %> <%= command.id %> --keep' },
    { description: 'The same incident on a Synapse whose data is in Postgres (the ananace Helm chart\'s shape)', command: '<%= config.bin %> <%= command.id %> --shape postgres' },
    { description: 'The summary as JSON', command: '<%= config.bin %> <%= command.id %> --json' },
  ];
  static override flags = everyFlagHasEnv({
    shape: Flags.string({
      options: ['sqlite', 'postgres'],
      default: 'sqlite',
      env: 'MATRIX_RESET_DEMO_SHAPE',
      description: "Synapse's deployment: sqlite (openmeet-dev, SQLite on the pod's PVC) or postgres (the ananace chart, its database on Postgres)",
    }),
    keep: Flags.boolean({ default: false, env: 'MATRIX_RESET_DEMO_KEEP', description: 'Leave the sandbox running afterwards (scripts/sandbox down stops it)' }),
    'state-dir': Flags.string({ env: 'MATRIX_RESET_DEMO_STATE', description: 'Sandbox state directory (default <repository>/.sandbox/demo)' }),
  });

  /** Runs tools/demo's CLI with these flags, its output straight to ours, and exits with its exit code. */
  override async run(): Promise<void> {
    const { shape, keep, json, 'state-dir': stateDir } = this.flags;
    const args = ['--shape', shape, ...(keep ? ['--keep'] : []), ...(json ? ['--json'] : []), ...(stateDir === undefined ? [] : ['--state-dir', stateDir])];
    const child = spawn(process.execPath, ['--conditions=@matrix-reset/source', join(repositoryRoot(import.meta.filename), DEMO_CLI), ...args], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => child.on('error', reject).on('close', (...exit) => resolve(exit)));
    process.off('SIGINT', forward).off('SIGTERM', forward);
    process.exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
  }
}

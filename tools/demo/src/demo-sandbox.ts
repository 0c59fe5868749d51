import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResetError } from '@matrix-reset/reset-core';

const SANDBOX_CLI = join('tools', 'sandbox', 'src', 'cli.ts');

/** What `sandbox up --json` prints: the endpoints and the variables of `sandbox.env`. */
export interface DemoSandboxRecord {
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The repository root above `from` (the directory holding `tools/sandbox/src/cli.ts`). The demo needs a checkout:
 * the sandbox is a tool, started as a child process, never imported.
 *
 * @example
 * const root = findRepositoryRoot(fileURLToPath(import.meta.url));
 */
export function findRepositoryRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, SANDBOX_CLI))) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new ResetError('unsupported', `matrix-reset demo needs a checkout of the matrix-reset repository: no ${SANDBOX_CLI} above ${from}`, {
    nextSteps: ['Run it from a clone: git clone <matrix-reset repository> && cd matrix-reset && scripts/demo'],
  });
}

/** Runs the sandbox CLI (`node --conditions=@matrix-reset/source tools/sandbox/src/cli.ts ...`); stderr lines go to `onLine`. */
export function runSandboxCli(root: string, args: readonly string[], onLine: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@matrix-reset/source', join(root, SANDBOX_CLI), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let pending = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onLine(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') onLine(pending);
      if (code === 0) resolve(stdout);
      else
        reject(
          new ResetError('step_failed', `sandbox ${args[0] ?? ''} exited with ${code}: ${tail.slice(-5).join(' | ')}`, {
            nextSteps: ['Run `. scripts/setup` first (Node 24, the Synapse venv, moto); kube-sim needs root.', `Look at ${join(root, '.sandbox')} for the logs.`],
          }),
        );
    });
  });
}

/**
 * Starts the sandbox with kube-sim's `kubeScenario` (default `openmeet-dev`) in `stateDir` (stopping whatever ran
 * there before). With `attachTo` the services stop when that process exits.
 */
export async function startDemoSandbox(options: { root: string; stateDir: string; kubeScenario?: string; attachTo?: number; onLine: (line: string) => void }): Promise<DemoSandboxRecord> {
  await runSandboxCli(options.root, ['down', '--state-dir', options.stateDir], () => undefined).catch(() => undefined);
  rmSync(options.stateDir, { recursive: true, force: true }); // every run starts from empty services
  const scenario = options.kubeScenario ?? 'openmeet-dev';
  const args = ['up', '--with', 'kube', '--kube-scenario', scenario, '--json', '--state-dir', options.stateDir, ...(options.attachTo === undefined ? [] : ['--attach-to', String(options.attachTo)])];
  const record = JSON.parse(await runSandboxCli(options.root, args, options.onLine)) as DemoSandboxRecord;
  return record;
}

/** Stops the sandbox of `stateDir` (`sandbox down`). */
export async function stopDemoSandbox(options: { root: string; stateDir: string; onLine: (line: string) => void }): Promise<void> {
  await runSandboxCli(options.root, ['down', '--state-dir', options.stateDir], options.onLine);
}

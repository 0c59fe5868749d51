import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/run.js ...args` as the operator would: a child process, stdin not a terminal, the environment of
 * the test minus any MATRIX_RESET_* variable (plus `env`), killed after `timeoutMs` (default 50 s; the demo, which
 * starts its own services and resets Synapse, takes longer on a loaded machine). Never throws on a non-zero exit.
 */
export function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  // Without NODE_ENV too: Vitest sets it to "test", which no operator's shell has (oclif warns differently under it).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MATRIX_RESET_') && name !== 'NODE_ENV'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? process.cwd(), env: { ...inherited, ...options.env }, timeout: options.timeoutMs ?? 50_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined) reject(error ?? new Error('no exit code'));
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

/** A fresh temporary directory for one test. */
export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'matrix-reset-cli-'));
}

/** A lower-case name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Every place a secret value appears in a run's output (expect it to be empty). */
export function leakedSecrets(run: CliRun, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length >= 6 && (run.stdout.includes(secret) || run.stderr.includes(secret)));
}

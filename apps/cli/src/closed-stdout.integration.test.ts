import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));

/**
 * Runs the real bin with stdout on a pipe whose reader goes away: after the first line (`| head -1`), or before the
 * command writes anything (`| true`). Resolves with the exit code and everything written on stderr.
 */
function runIntoClosingReader(args: readonly string[], closeAfter: 'first-line' | 'at-once'): Promise<{ code: number | null; signal: string | null; stderr: string; firstLine: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MATRIX_RESET_') && name !== 'NODE_ENV'));
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  if (closeAfter === 'at-once') child.stdout.destroy();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.includes('\n')) child.stdout.destroy();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, firstLine: stdout.split('\n')[0] ?? '' }));
  });
}

describe('a reader that closes stdout early', () => {
  it('doctor --help | head -1: the first line, then a clean exit 0 and nothing on stderr', async () => {
    const run = await runIntoClosingReader(['doctor', '--help'], 'first-line');
    expect(run.firstLine).toBe('Measure how far the stored Matrix credentials have drifted from Synapse');
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
  });

  it('a reader gone before the first write: exit 0, no warning', async () => {
    const run = await runIntoClosingReader(['status', '--help'], 'at-once');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from './lint-import.ts';

const setup = path.join(workspaceRoot, 'scripts/setup');
// A clean environment of the machine's own, so the PATH setup exports is not one inherited from the test runner.
const env = { HOME: process.env['HOME'] ?? '/root', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

/** Runs `script` in a fresh non-interactive bash at the workspace root; its stdout and exit status. */
function bash(script: string, extraEnv: Record<string, string> = {}): { stdout: string; status: number | null } {
  const result = spawnSync('bash', ['-c', script], { cwd: workspaceRoot, env: { ...env, ...extraEnv }, encoding: 'utf8' });
  return { stdout: result.stdout, status: result.status };
}

/** The shell's options as `set +o` prints them, then `shopt -p`: everything sourcing could change. */
const OPTIONS = '{ set +o; shopt -p; }';

describe('scripts/setup', () => {
  it('leaves the caller’s shell options as they were when sourced (errexit, nounset, pipefail off)', () => {
    const { stdout, status } = bash(`set +e +u; set +o pipefail; ${OPTIONS} > before; . scripts/setup >/dev/null 2>&1; echo "sourced $?"; ${OPTIONS} | diff before - && echo same; rm before`);
    expect(status).toBe(0);
    expect(stdout).toContain('sourced 0');
    expect(stdout).toContain('same');
  });

  it('leaves errexit, nounset and pipefail on when the caller had them on', () => {
    const { stdout } = bash(`set -euo pipefail; . scripts/setup >/dev/null 2>&1; echo "$-"; set -o | grep pipefail`);
    expect(stdout).toMatch(/^\S*e\S*\n/);
    expect(stdout).toMatch(/^\S*u\S*\n/);
    expect(stdout).toMatch(/pipefail\s+on/);
  });

  it('exports the tool PATH: Node 24 from .tools and the workspace binaries, and the venvs (schemathesis pinned)', () => {
    const { stdout } = bash('. scripts/setup >/dev/null 2>&1; node --version; command -v nx; echo "$MATRIX_RESET_SYNAPSE_VENV"; "$MATRIX_RESET_SCHEMATHESIS_VENV/bin/st" --version');
    const [nodeVersion, nx, venv, schemathesis] = stdout.trim().split('\n');
    expect(nodeVersion).toMatch(/^v24\./);
    expect(nx).toBe(path.join(workspaceRoot, 'node_modules/.bin/nx'));
    expect(venv).toMatch(/synapse-venv-[0-9a-f]{12}$/);
    expect(schemathesis).toBe('st, version 4.32.5');
  });

  it('stops at a failing step: sourced, it returns 1 with the caller’s options kept, and a script with set -e stops there', () => {
    // A cache directory that cannot be created (under a regular file) fails setup's first step.
    const failing = { MATRIX_RESET_CACHE: path.join(setup, 'not-a-dir') };
    const sourced = bash(`set +e; . scripts/setup 2>/dev/null; echo "sourced $?"; echo "$-"`, failing);
    expect(sourced.stdout).toMatch(/^sourced 1\n[^e\n]*\n$/);
    const script = bash(`set -euo pipefail; . scripts/setup 2>/dev/null; echo "not reached"`, failing);
    expect(script.status).toBe(1);
    expect(script.stdout).toBe('');
    const run = spawnSync('bash', [setup], { env: { ...env, ...failing }, encoding: 'utf8' });
    expect(run.status).toBe(1);
  });
});

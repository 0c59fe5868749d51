import { describe, expect, it } from 'vitest';
import { runDemoCli } from './cli.ts';

async function run(argv: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDemoCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env });
  return { code, stdout, stderr };
}

// The demo itself runs in demo.integration.test.ts and through `matrix-reset demo` (apps/cli); these are the
// command-line paths that fail before any sandbox starts.
describe('the demo CLI', () => {
  it('an unknown flag is a usage error: exit 2, error[usage] and the next steps on stderr, nothing on stdout', async () => {
    const result = await run(['--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error\[usage\]: .*--frobnicate.*\n\nNext steps:\n {2}- See matrix-reset demo --help for the flags and examples\n$/);
  });

  it('with --json (or MATRIX_RESET_JSON) a usage error is a JSON error object on stdout', async () => {
    for (const [argv, env] of [[['--json', 'extra'], {}], [['extra'], { MATRIX_RESET_JSON: 'yes' }]] as const) {
      const result = await run(argv, env);
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'usage', exitCode: 2, nextSteps: ['See matrix-reset demo --help for the flags and examples'] } });
    }
  });

  it('an unknown --shape (or MATRIX_RESET_DEMO_SHAPE) is a usage error naming the shapes, before any sandbox starts', async () => {
    for (const [argv, env] of [[['--shape', 'mysql'], {}], [[], { MATRIX_RESET_DEMO_SHAPE: 'mysql' }]] as const) {
      const result = await run(argv, env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error[usage]: --shape mysql: not a shape of the demo');
      expect(result.stderr).toContain('  - Use --shape sqlite or --shape postgres');
    }
  });

  it('--help prints the flags and their environment variables', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['--shape', 'MATRIX_RESET_DEMO_SHAPE', '--keep', '--state-dir', '--json', 'MATRIX_RESET_DEMO_KEEP', 'MATRIX_RESET_DEMO_STATE', 'MATRIX_RESET_JSON']) expect(result.stdout).toContain(name);
  });
});

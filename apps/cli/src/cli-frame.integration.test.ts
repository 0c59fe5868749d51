import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands.ts';
import { runCli } from './test-support/run-cli.ts';

const COMMAND_LINES = Object.keys(COMMANDS).map((id) => id.replaceAll(':', ' '));

describe('the matrix-reset frame', () => {
  it('--version prints the name and version on stdout', async () => {
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^@matrix-reset\/cli\/0\.1\.0 /);
  });

  it('--help lists every command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const line of ['init', 'doctor', 'rbac', 'local', 'creds']) expect(run.stdout).toMatch(new RegExp(`^  ${line}\\b`, 'm'));
  });

  it.each(COMMAND_LINES)('"%s --help" shows examples', async (line) => {
    const run = await runCli([...line.split(' '), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('EXAMPLES');
    expect(run.stdout).toContain(`$ matrix-reset ${line}`);
  });

  it('every flag of every command names a MATRIX_RESET_ variable', () => {
    for (const [id, command] of Object.entries(COMMANDS)) {
      const flags = { ...command.baseFlags, ...command.flags } as Record<string, { env?: string }>;
      for (const [name, flag] of Object.entries(flags)) expect(flag.env, `${id} --${name}`).toMatch(/^MATRIX_RESET_[A-Z_]+$/);
    }
  });

  it('changing commands have --yes and --dry-run', () => {
    for (const id of ['local:bootstrap', 'creds:clear', 'creds:restore'] as const) {
      expect(Object.keys(COMMANDS[id].baseFlags)).toEqual(expect.arrayContaining(['yes', 'dry-run']));
    }
  });

  it('an unknown flag exits 2 and says where the flags are listed', async () => {
    const run = await runCli(['doctor', '--no-such-flag']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[usage]: Nonexistent flag: --no-such-flag');
    expect(run.stderr).toContain('matrix-reset doctor --help');
    expect(run.stdout).toBe('');
  });

  it('a bad flag value exits 2 and names the flag', async () => {
    const run = await runCli(['doctor', '--sample', 'zero']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error\[usage\]: .*--sample/);
  });

  it('a flag value out of range from its environment variable exits 2', async () => {
    const run = await runCli(['doctor'], { env: { MATRIX_RESET_CONCURRENCY: '0' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error\[usage\]: .*concurrency/);
  });

  it('with --json a usage error is a JSON object on stdout and nothing else', async () => {
    const run = await runCli(['doctor', '--json', '--no-such-flag']);
    expect(run.code).toBe(2);
    const body = JSON.parse(run.stdout) as { error: { code: string; nextSteps: string[]; exitCode: number } };
    expect(body.error).toMatchObject({ code: 'usage', exitCode: 2 });
    expect(body.error.nextSteps.length).toBeGreaterThan(0);
  });

  it('MATRIX_RESET_JSON=1 turns JSON on like --json', async () => {
    const run = await runCli(['doctor', '--no-such-flag'], { env: { MATRIX_RESET_JSON: '1' } });
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'usage' } });
  });
});

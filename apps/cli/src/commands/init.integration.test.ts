import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../test-support/run-cli.ts';

describe('matrix-reset init', () => {
  it('writes the template to matrix-reset.yaml in the working directory', async () => {
    const dir = await tempDir();
    const run = await runCli(['init'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(join(dir, 'matrix-reset.yaml'));
    expect(await readFile(join(dir, 'matrix-reset.yaml'), 'utf8')).toMatch(/^version: 1$/m);
  });

  it('refuses to overwrite an existing file without --force (exit 2) and keeps it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'matrix-reset.yaml'), 'mine\n');
    const run = await runCli(['init'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[usage]:');
    expect(run.stderr).toContain('--force');
    expect(await readFile(join(dir, 'matrix-reset.yaml'), 'utf8')).toBe('mine\n');
  });

  it('overwrites with --force', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'matrix-reset.yaml'), 'mine\n');
    const run = await runCli(['init', '--force'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(await readFile(join(dir, 'matrix-reset.yaml'), 'utf8')).toMatch(/^version: 1$/m);
  });

  it('writes where MATRIX_RESET_CONFIG says', async () => {
    const dir = await tempDir();
    const run = await runCli(['init'], { cwd: dir, env: { MATRIX_RESET_CONFIG: 'conf/../other.yaml' } });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(join(dir, 'other.yaml'));
  });

  it('writes a file doctor accepts: doctor then fails on the unset DATABASE_URL it names, exit 2', async () => {
    const dir = await tempDir();
    expect((await runCli(['init', '--env', 'dev'], { cwd: dir })).code).toBe(0);
    const run = await runCli(['doctor', '--env', 'local', '--json'], { cwd: dir, env: { DATABASE_URL: '' } });
    const body = JSON.parse(run.stdout) as { error?: { code: string; message: string; nextSteps: string[] } };
    // The file itself is accepted; the template's env:DATABASE_URL holds nothing here: a configuration problem of the
    // environment (exit 2), named, with what to do, not a syntax error of the file or a bug.
    expect(body.error?.code).toBe('config_invalid');
    expect(body.error?.message).toContain('env:DATABASE_URL');
    expect(body.error?.message).not.toMatch(/line \d+|YAML/);
    expect(body.error?.nextSteps.join(' ')).toContain('DATABASE_URL');
    expect(run.code).toBe(2);
  });

  it('doctor without a config file exits 2 with config_not_found and says to run init', async () => {
    const dir = await tempDir();
    const run = await runCli(['doctor'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[config_not_found]:');
    expect(run.stderr).toContain('matrix-reset init');
  });

  it('an environment the file does not define exits 2 with environment_unknown', async () => {
    const dir = await tempDir();
    await runCli(['init'], { cwd: dir });
    const run = await runCli(['doctor', '--env', 'nowhere'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[environment_unknown]:');
  });

  it('a file defining several environments needs --env (exit 2)', async () => {
    const dir = await tempDir();
    await runCli(['init'], { cwd: dir });
    const run = await runCli(['rbac'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error\[usage\]: .*environments/);
    expect(run.stderr).toContain('--env');
  });
});

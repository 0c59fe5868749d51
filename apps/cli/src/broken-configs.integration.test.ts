import { describe, expect, it } from 'vitest';
import { brokenConfigs } from './test-support/broken-configs.ts';
import { leakedSecrets, runCli, tempDir } from './test-support/run-cli.ts';

describe('a broken matrix-reset.yaml', () => {
  it.each(brokenConfigs())('$name: doctor exits 2 config_invalid naming the file and the line, echoing no secret', async (config) => {
    const started = Date.now();
    const run = await runCli(['doctor', '--config', config.path], { cwd: await tempDir() });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error[config_invalid]');
    expect(run.stderr).toContain(config.line === undefined ? config.path : `${config.path}:${config.line}:`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(leakedSecrets(run, config.secrets)).toEqual([]);
    for (const secret of config.secrets) expect(run.stdout + run.stderr).not.toContain(secret);
  });
});

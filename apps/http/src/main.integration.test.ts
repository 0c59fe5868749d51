import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServiceFixture } from './test-support/service-fixture.ts';

const BIN = fileURLToPath(new URL('../bin/matrix-reset-http.js', import.meta.url));

describe('bin/matrix-reset-http.js', () => {
  it('starts from MATRIX_RESET_CONFIG and MATRIX_RESET_HTTP_PORT, logs its address, serves, and stops cleanly on SIGTERM', async () => {
    const fixture = await startServiceFixture();
    await fixture.close();
    const env: NodeJS.ProcessEnv = { ...process.env, MATRIX_RESET_CONFIG: fixture.configPath, MATRIX_RESET_HTTP_PORT: '0', MATRIX_RESET_HTTP_HOST: '127.0.0.1' };
    const child = spawn(process.execPath, [BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}${stdout}`)));
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const lines = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['listening', 'request', 'stopping', 'stopped']));
    for (const secret of fixture.secrets) expect(stdout + stderr).not.toContain(secret);
  });

  it('exits 2 with the config error as a JSON log line when the file has no service: section', async () => {
    const fixture = await startServiceFixture();
    await fixture.close();
    const { readFile, writeFile } = await import('node:fs/promises');
    const text = await readFile(fixture.configPath, 'utf8');
    await writeFile(fixture.configPath, text.slice(0, text.indexOf('service:')));
    const env = { ...process.env, MATRIX_RESET_CONFIG: fixture.configPath };
    const child = spawn(process.execPath, [BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(2);
    const line = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { level: number; code: string; msg: string; nextSteps: string[] };
    expect(line).toMatchObject({ level: 60, code: 'config_invalid' });
    expect(line.msg).toContain('has no service: section');
    expect(line.nextSteps.join(' ')).toContain('matrix-reset service token');
  });
});

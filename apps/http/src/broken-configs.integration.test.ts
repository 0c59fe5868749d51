import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_BIN } from './test-support/service-process.ts';

/** The corpus of broken configs kept beside the CLI's tests (its README says how a case reads); read, not imported. */
const CORPUS = fileURLToPath(new URL('../../cli/src/test-support/broken-configs/', import.meta.url));

const cases = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => {
    const text = readFileSync(`${CORPUS}${name}`, 'utf8');
    const line = /^# expect-line: (\d+)$/m.exec(text)?.[1];
    return { name, path: `${CORPUS}${name}`, line, secrets: [...text.matchAll(/^# secret: (\S+)$/gm)].map((match) => match[1] ?? '') };
  });

function runService(configPath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, MATRIX_RESET_CONFIG: configPath, MATRIX_RESET_HTTP_PORT: '0', MATRIX_RESET_HTTP_HOST: '127.0.0.1' };
  const child = spawn(process.execPath, [SERVICE_BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('the service on a broken matrix-reset.yaml', () => {
  it.each(cases)('$name: exits 2 with one fatal config_invalid line naming the file and the line, echoing no secret', async (config) => {
    const run = await runService(config.path);
    expect(run.code).toBe(2);
    const fatal = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { level?: number; code?: string; msg?: string };
    expect(fatal).toMatchObject({ level: 60, code: 'config_invalid' });
    expect(fatal.msg).toContain(config.line === undefined ? config.path : `${config.path}:${config.line}:`);
    for (const secret of config.secrets) expect(run.stdout + run.stderr).not.toContain(secret);
  });
});

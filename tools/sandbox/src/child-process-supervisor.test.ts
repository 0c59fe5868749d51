import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { spawnSupervised } from './child-process-supervisor.ts';
import { processAlive } from './sandbox-record.ts';

describe('spawnSupervised', () => {
  it('stop() ends the process with SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mr-supervisor-'));
    const child = spawnSupervised({ name: 'sleep', command: 'sleep', args: ['300'], logFile: join(dir, 'log') });
    await sleep(300);
    expect(processAlive(child.pid)).toBe(true);
    await child.stop();
    expect((await child.exited).signal).toBe('SIGTERM');
    expect(processAlive(child.pid)).toBe(false);
  });

  it('kills the child when its owner is SIGKILLed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mr-supervisor-'));
    const script = `
      import { spawnSupervised } from ${JSON.stringify(join(import.meta.dirname, 'child-process-supervisor.ts'))};
      const child = spawnSupervised({ name: 'sleep', command: 'sleep', args: ['300'], logFile: ${JSON.stringify(join(dir, 'log'))} });
      process.stdout.write(String(child.pid) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => owner.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
    await sleep(300);
    expect(processAlive(pid)).toBe(true);
    owner.kill('SIGKILL');
    for (let i = 0; i < 50 && processAlive(pid); i += 1) await sleep(100);
    expect(processAlive(pid)).toBe(false);
  });
});

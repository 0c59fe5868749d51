import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './sandbox-env.ts';
import { processAlive } from './sandbox-record.ts';
import { alivePids, sandboxDatabasesOnServer } from './test-support/helpers.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'sandbox.js');

function sandboxCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('sandbox CLI', () => {
  it('rejects bad input with exit code 2 and what to fix', async () => {
    const result = await sandboxCli(['up', '--synapse-db', 'mysql']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--synapse-db sqlite or --synapse-db postgres');
    expect((await sandboxCli(['launch'])).code).toBe(2);
  });

  it('up starts a supervised sandbox that outlives it; status sees it; down removes it all', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mr-cli-test-'));
    const up = await sandboxCli(['up', '--json', '--state-dir', stateDir, '--attach-to', String(process.pid)]);
    expect(up.code, up.stderr).toBe(0);
    const result = JSON.parse(up.stdout) as { ownerPid: number; env: Record<string, string> };
    const envFile = await readFile(join(stateDir, 'sandbox.env'), 'utf8');
    expect(parseEnvFile(envFile)).toEqual(result.env);
    expect(processAlive(result.ownerPid)).toBe(true);
    expect(await (await fetch(`${result.env['SYNAPSE_URL']}/health`)).text()).toBe('OK');

    const secret = (await readFile(result.env['SYNAPSE_SHARED_SECRET_FILE']!, 'utf8')).trim();
    const json = await readFile(join(stateDir, 'sandbox.json'), 'utf8');
    for (const text of [up.stdout, up.stderr, envFile, json]) expect(text).not.toContain(secret);

    const status = await sandboxCli(['status', '--json', '--state-dir', stateDir]);
    const parsed = JSON.parse(status.stdout) as { running: boolean; services: { service: string; healthy: boolean }[] };
    expect(parsed.running).toBe(true);
    expect(parsed.services.map((service) => `${service.service}:${service.healthy}`)).toEqual(['synapse:true', 'postgres:true', 'ssm:true']);

    const record = JSON.parse(json) as { pids: number[]; endpoints: { postgres: { database: string } } };
    const down = await sandboxCli(['down', '--state-dir', stateDir]);
    expect(down.code).toBe(0);
    for (let i = 0; i < 30 && alivePids(record.pids).length > 0; i += 1) await sleep(100);
    expect(processAlive(result.ownerPid)).toBe(false);
    expect(alivePids(record.pids)).toEqual([]);
    expect(await sandboxDatabasesOnServer(record.endpoints.postgres.database)).toEqual([]);
    expect(existsSync(join(stateDir, 'sandbox.json'))).toBe(false);
    expect(JSON.parse((await sandboxCli(['status', '--json', '--state-dir', stateDir])).stdout)).toMatchObject({ running: false });
  });
});

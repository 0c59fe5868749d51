import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { psql } from './postgres-provider.ts';
import { runCommand } from './run-command.ts';
import { parseEnvFile } from './sandbox-env.ts';
import { processAlive } from './sandbox-record.ts';
import { readSecretFile } from './secret-file.ts';
import { alivePids, registerWithScript, sandboxDatabasesOnServer, uniqueName } from './test-support/helpers.ts';

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

  it('up --with synapse-postgres runs a Synapse on its own role and empty database; its users are in that database; down stops it and drops both', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mr-cli-pg-test-'));
    const up = await sandboxCli(['up', '--json', '--state-dir', stateDir, '--with', 'synapse-postgres', '--attach-to', String(process.pid)]);
    expect(up.code, up.stderr).toBe(0);
    const env = parseEnvFile(await readFile(join(stateDir, 'sandbox.env'), 'utf8'));
    const url = env['SYNAPSE_POSTGRES_URL']!;
    expect(env['SYNAPSE_POSTGRES_SERVER_NAME']).toBe('matrix-pg.openmeet.test');
    expect(await (await fetch(`${url}/health`)).text()).toBe('OK');

    // The role's password: in 0600 files and in the database URL of sandbox.env, never on stdout or stderr.
    const password = await readSecretFile(env['SYNAPSE_POSTGRES_DATABASE_PASSWORD_FILE']!);
    const databaseUrl = new URL(env['SYNAPSE_POSTGRES_DATABASE_URL']!);
    expect(decodeURIComponent(databaseUrl.password)).toBe(password);
    expect(decodeURIComponent(databaseUrl.username)).toBe(env['SYNAPSE_POSTGRES_DATABASE_ROLE']);
    expect(databaseUrl.pathname).toBe(`/${env['SYNAPSE_POSTGRES_DATABASE']!}`);
    for (const file of [join(stateDir, 'sandbox.env'), join(stateDir, 'sandbox.json'), env['SYNAPSE_POSTGRES_DATABASE_PASSWORD_FILE']!, env['SYNAPSE_POSTGRES_CONFIG_FILE']!]) {
      expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
    }
    for (const text of [up.stdout, up.stderr]) expect(text).not.toContain(password);
    expect(await readFile(env['SYNAPSE_POSTGRES_CONFIG_FILE']!, 'utf8')).toContain('name: psycopg2');

    const user = uniqueName('pguser');
    const registered = await registerWithScript({ configFile: env['SYNAPSE_POSTGRES_CONFIG_FILE']!, url, user, password: `pw-${uniqueName('')}` });
    expect(registered.code, registered.output).toBe(0);
    // Read from outside, as the role, through libpq's variables (a password never in psql's argv).
    const read = await runCommand('psql', ['-X', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', 'SELECT current_user, name FROM users'], {
      env: {
        ...process.env,
        PGHOST: databaseUrl.hostname,
        PGPORT: databaseUrl.port,
        PGUSER: decodeURIComponent(databaseUrl.username),
        PGPASSWORD: password,
        PGDATABASE: env['SYNAPSE_POSTGRES_DATABASE']!,
      },
    });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.trim()).toBe(`${env['SYNAPSE_POSTGRES_DATABASE_ROLE']!}|@${user}:matrix-pg.openmeet.test`);

    const status = JSON.parse((await sandboxCli(['status', '--json', '--state-dir', stateDir])).stdout) as { services: { service: string; healthy: boolean }[] };
    expect(status.services).toContainEqual(expect.objectContaining({ service: 'synapse-postgres', healthy: true }));

    const record = JSON.parse(await readFile(join(stateDir, 'sandbox.json'), 'utf8')) as { pids: number[] };
    expect((await sandboxCli(['down', '--state-dir', stateDir])).code).toBe(0);
    for (let i = 0; i < 30 && alivePids(record.pids).length > 0; i += 1) await sleep(100);
    expect(alivePids(record.pids)).toEqual([]);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    const server = { host: '127.0.0.1', port: 5432, user: 'postgres' };
    expect(await psql(server, 'postgres', `SELECT count(*) FROM pg_database WHERE datname = '${env['SYNAPSE_POSTGRES_DATABASE']!}'`)).toBe('0');
    expect(await psql(server, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname = '${env['SYNAPSE_POSTGRES_DATABASE_ROLE']!}'`)).toBe('0');
  });
});

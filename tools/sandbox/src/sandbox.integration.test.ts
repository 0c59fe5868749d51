import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from './sandbox.ts';
import { parseEnvFile } from './sandbox-env.ts';
import type { Sandbox } from './sandbox-types.ts';
import { readSecretFile } from './secret-file.ts';
import { alivePids, sandboxDatabasesOnServer } from './test-support/helpers.ts';

describe('startSandbox (process provider, Synapse on Postgres)', () => {
  let sandbox: Sandbox;
  let stopped = false;

  beforeAll(async () => {
    sandbox = await startSandbox({
      stateDir: await mkdtemp(join(tmpdir(), 'mr-sandbox-test-')),
      services: ['synapse', 'ssm'],
      synapse: { database: 'postgres' },
      provider: 'auto',
    });
  });
  afterAll(async () => {
    if (!stopped) await sandbox?.stop();
  });

  it('adds postgres when Synapse runs on it and puts Synapse in its own database', async () => {
    expect(sandbox.services).toEqual(['synapse', 'postgres', 'ssm']);
    expect(sandbox.endpoints.postgres?.databases).toHaveLength(2);
    const yaml = await readFile(sandbox.env['SYNAPSE_CONFIG_FILE']!, 'utf8');
    expect(yaml).toContain('name: psycopg2');
  });

  it('serves every endpoint it announces', async () => {
    expect(await (await fetch(`${sandbox.env['SYNAPSE_URL']}/health`)).text()).toBe('OK');
    const ssm = await fetch(sandbox.env['AWS_ENDPOINT_URL_SSM']!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.DescribeParameters', authorization: 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=x' },
      body: '{}',
    });
    expect(ssm.status).toBe(200);
    expect(sandbox.env['AWS_REGION']).toBe('us-east-1');
  });

  it('writes sandbox.env exporting exactly the env the API returns', async () => {
    const text = await readFile(join(sandbox.stateDir, 'sandbox.env'), 'utf8');
    expect(text.split('\n').filter(Boolean).every((line) => line.startsWith('export '))).toBe(true);
    expect(parseEnvFile(text)).toEqual(sandbox.env);
    expect(sandbox.env['MATRIX_RESET_SANDBOX_STATE']).toBe(sandbox.stateDir);
  });

  it('keeps the shared secret out of the env, sandbox.env and sandbox.json, in a 0600 file', async () => {
    const secretFile = sandbox.env['SYNAPSE_SHARED_SECRET_FILE']!;
    const secret = await readSecretFile(secretFile);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(((await import('node:fs')).statSync(secretFile).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.stringify(sandbox.env)).not.toContain(secret);
    expect(await readFile(join(sandbox.stateDir, 'sandbox.env'), 'utf8')).not.toContain(secret);
    expect(await readFile(join(sandbox.stateDir, 'sandbox.json'), 'utf8')).not.toContain(secret);
  });

  it("puts no secret in any process's arguments", async () => {
    const secret = await readSecretFile(sandbox.env['SYNAPSE_SHARED_SECRET_FILE']!);
    const commandLines: string[] = [];
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        commandLines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        // the process ended while we looked
      }
    }
    // Sanity: the sandbox's own children are among the command lines read.
    expect(commandLines.some((line) => line.includes(sandbox.env['SYNAPSE_CONFIG_FILE']!))).toBe(true);
    expect(commandLines.filter((line) => line.includes(secret))).toEqual([]);
  });

  it('stop() leaves no process, no database and no sandbox.env behind', async () => {
    const prefix = sandbox.endpoints.postgres!.database;
    expect(await sandboxDatabasesOnServer(prefix)).toHaveLength(2);
    expect(alivePids(sandbox.pids)).toHaveLength(sandbox.pids.length);
    await sandbox.stop();
    stopped = true;
    expect(alivePids(sandbox.pids)).toEqual([]);
    expect(await sandboxDatabasesOnServer(prefix)).toEqual([]);
    expect(existsSync(join(sandbox.stateDir, 'sandbox.env'))).toBe(false);
  });
});

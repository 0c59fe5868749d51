import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResetConfig } from '@matrix-reset/reset-core';
import { runCli, tempDir } from '../../test-support/run-cli.ts';

const ENVIRONMENT = [
  'version: 1',
  'environments:',
  '  dev:',
  '    synapse: { url: http://127.0.0.1:8008, serverName: matrix.test }',
  '    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]',
  '    appDatabase: { url: env:DATABASE_URL, layout: runbook }',
].join('\n');

describe('matrix-reset service token', () => {
  it('writes the token to a 0600 file and prints only the config entry with its SHA-256', async () => {
    const dir = await tempDir();
    const out = join(dir, 'api.token');
    const run = await runCli(['service', 'token', '--name', 'openmeet-api', '--scope', 'credentials:ensure', '--scope', 'credentials:read', '--out', out]);
    expect(run.code).toBe(0);
    const token = (await readFile(out, 'utf8')).trim();
    expect(token).toMatch(/^mrs_[A-Za-z0-9_-]{43}$/);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(run.stdout).not.toContain(token);
    expect(run.stderr).not.toContain(token);
    expect(run.stdout).toContain(`sha256: ${createHash('sha256').update(token).digest('hex')}`);
    // The printed lines are a service: section the config accepts as they are.
    const config = parseResetConfig(`${ENVIRONMENT}\n${run.stdout}`, { path: join(dir, 'matrix-reset.yaml') });
    expect(config.service?.tokens).toEqual([{ name: 'openmeet-api', sha256: createHash('sha256').update(token).digest('hex'), scopes: ['credentials:ensure', 'credentials:read'] }]);
  });

  it('refuses to overwrite an existing file (exit 2) and leaves it alone', async () => {
    const dir = await tempDir();
    const out = join(dir, 'existing.token');
    await writeFile(out, 'keep me\n');
    const run = await runCli(['service', 'token', '--name', 'ops', '--scope', 'read', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('already exists');
    expect(await readFile(out, 'utf8')).toBe('keep me\n');
  });

  it('refuses an unknown scope and a bad name', async () => {
    const dir = await tempDir();
    const badScope = await runCli(['service', 'token', '--name', 'ops', '--scope', 'admin', '--out', join(dir, 'a.token')]);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/credentials:ensure/);
    const badName = await runCli(['service', 'token', '--name', 'Ops Team', '--scope', 'read', '--out', join(dir, 'b.token')]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('token name');
  });

  it('prints the entry as JSON with --json', async () => {
    const dir = await tempDir();
    const run = await runCli(['service', 'token', '--name', 'grafana', '--scope', 'read', '--out', join(dir, 'g.token'), '--json']);
    expect(run.code).toBe(0);
    const entry = JSON.parse(run.stdout) as { name: string; sha256: string; scopes: string[]; out: string };
    expect(entry).toMatchObject({ name: 'grafana', scopes: ['read'], out: join(dir, 'g.token') });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

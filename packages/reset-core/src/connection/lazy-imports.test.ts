import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * @kubernetes/client-node (through k8s-ops) and the AWS SDK are loaded where they are used, not with reset-core: a
 * doctor against an environment without a kubernetes: section and without ssm: references never loads them (they are
 * most of doctor's memory otherwise). Checked in a fresh Node process that records every package it resolves.
 */

const HEAVY = /\/node_modules\/(@kubernetes\/client-node|@aws-sdk\/[^/]+)\//;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-lazy-imports-'));
  await writeFile(join(dir, '.env'), 'MATRIX_ADMIN_ACCESS_TOKEN=syt_not_a_real_token\nMATRIX_ADMIN_USER=@admin:example.test\n', { mode: 0o600 });
  await writeFile(
    join(dir, 'matrix-reset.yaml'),
    [
      'version: 1',
      'environments:',
      '  local:',
      '    synapse: { url: "http://127.0.0.1:9", serverName: example.test }',
      '    adminToken:',
      '      - { token: "dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN", user: "dotenv:.env#MATRIX_ADMIN_USER" }',
      '    appDatabase: { url: "env:DATABASE_URL", layout: openmeet }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `body` (ES module code, `core` is reset-core) in a fresh Node; returns the heavy packages it resolved. */
function heavyPackagesResolvedBy(body: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = ${HEAVY}.exec(r.url); if (m) seen.add(m[1]); return r; } });
    const core = await import('@matrix-reset/reset-core');
    ${body}
    process.stdout.write(JSON.stringify([...seen].sort()));
  `;
  const result = spawnSync(process.execPath, ['--conditions=@matrix-reset/source', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

describe('reset-core loads Kubernetes and AWS modules only when used', () => {
  it('importing reset-core loads neither', () => {
    expect(heavyPackagesResolvedBy('')).toEqual([]);
  });

  it('connecting to an environment without kubernetes: or ssm: loads neither', () => {
    const config = JSON.stringify(join(dir, 'matrix-reset.yaml'));
    const body = `
      const environment = core.resolveEnvironment(await core.loadResetConfig({ path: ${config} }), 'local');
      const connection = await core.connectEnvironment(environment);
      if (connection.adminTokenSource === undefined) throw new Error('the admin token was not read');
      await connection.close();
    `;
    expect(heavyPackagesResolvedBy(body)).toEqual([]);
  });

  it('sees them when they are loaded (the check itself works)', () => {
    const seen = heavyPackagesResolvedBy(`await import('@matrix-reset/k8s-ops'); await import('@aws-sdk/client-ssm');`);
    expect(seen).toContain('@kubernetes/client-node');
    expect(seen).toContain('@aws-sdk/client-ssm');
  });
});

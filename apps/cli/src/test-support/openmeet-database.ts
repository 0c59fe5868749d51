import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli, tempDir, uniqueName } from './run-cli.ts';

const exec = promisify(execFile);

/** The sandbox's Postgres (`DATABASE_URL`), set by the Vitest global setup. */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') throw new Error('DATABASE_URL is not set: run with npx vitest run --config apps/cli/vitest.config.ts');
  return url;
}

/** The sandbox Synapse's server name: the fixture's Matrix user ids are on that server (and do not exist there). */
function serverName(): string {
  const name = process.env.SYNAPSE_SERVER_NAME;
  if (!name) throw new Error('SYNAPSE_SERVER_NAME is not set: run with npx vitest run --config apps/cli/vitest.config.ts');
  return name;
}

/** Runs SQL with psql against `DATABASE_URL`, stopping at the first error. */
export async function psql(sqlText: string): Promise<string> {
  const { stdout } = await exec('psql', [databaseUrl(), '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sqlText]);
  return stdout;
}

/**
 * OpenMeet's layout in one tenant schema `tenant_<id>`: `users` with camelCase credential columns and a `preferences`
 * jsonb, `events` and `groups` with `"matrixRoomId"`. Every 4th user has no credentials. Returns the schema and the
 * access tokens stored (to scan outputs for them).
 */
export async function createOpenmeetTenant(id: string, rows: number): Promise<{ schema: string; tokens: string[] }> {
  const schema = `tenant_${id}`;
  await psql(`
    CREATE SCHEMA "${schema}";
    CREATE TABLE "${schema}".users (
      id serial PRIMARY KEY, slug varchar NOT NULL,
      "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
    );
    INSERT INTO "${schema}".users (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId", preferences)
    SELECT 'user' || g,
           CASE WHEN g % 4 = 1 THEN NULL ELSE '@user' || g || '_${id}:${serverName()}' END,
           CASE WHEN g % 4 = 1 THEN NULL ELSE 'syt_' || md5('${schema}' || g) END,
           CASE WHEN g % 4 = 1 THEN NULL ELSE 'DEV' || g END,
           '{"matrix": {"connected": true}}'::jsonb
    FROM generate_series(1, ${rows}) g;
    CREATE TABLE "${schema}".events (id serial PRIMARY KEY, "matrixRoomId" varchar);
    CREATE TABLE "${schema}".groups (id serial PRIMARY KEY, "matrixRoomId" varchar);
  `);
  const tokens = (await psql(`SELECT "matrixAccessToken" FROM "${schema}".users WHERE "matrixAccessToken" IS NOT NULL`))
    .split('\n')
    .filter((line) => line !== '');
  return { schema, tokens };
}

/**
 * A one-environment config for the sandbox (environment `sandbox` unless `name` says otherwise; `protected` as given): its Synapse, its Postgres holding one OpenMeet tenant, and a `.env` beside
 * it holding an admin token that `matrix-reset local bootstrap` registered (doctor needs one to look users up).
 */
export async function sandboxConfig(schema: string, options: { name?: string; protected?: boolean } = {}): Promise<{ dir: string; path: string }> {
  const dir = await tempDir();
  const path = join(dir, 'matrix-reset.yaml');
  await writeFile(
    path,
    [
      'version: 1',
      'environments:',
      `  ${options.name ?? 'sandbox'}:`,
      ...(options.protected === true ? ['    protected: true'] : []),
      '    synapse:',
      `      url: ${process.env.SYNAPSE_URL ?? ''}`,
      `      serverName: ${process.env.SYNAPSE_SERVER_NAME ?? ''}`,
      `      sharedSecret: file:${process.env.SYNAPSE_SHARED_SECRET_FILE ?? ''}`,
      '    adminToken:',
      '      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }',
      '    appDatabase:',
      '      url: env:DATABASE_URL',
      `      layout: { preset: openmeet, schemas: { names: [${schema}] } }`,
      '',
    ].join('\n'),
  );
  const bootstrap = await runCli(
    [
      'local',
      'bootstrap',
      '--synapse-url',
      process.env.SYNAPSE_URL ?? '',
      '--shared-secret',
      `file:${process.env.SYNAPSE_SHARED_SECRET_FILE ?? ''}`,
      '--dotenv',
      join(dir, '.env'),
      '--admin-user',
      uniqueName('admin'),
    ],
    { cwd: dir },
  );
  if (bootstrap.code !== 0) throw new Error(`local bootstrap failed (${bootstrap.code}): ${bootstrap.stderr}`);
  return { dir, path };
}

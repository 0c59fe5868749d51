import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { plantSynapseDatabase, type PlantedSynapseDatabase } from '@matrix-reset/reset-core/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenmeetTenant, sandboxConfig } from '../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName, type CliRun } from '../test-support/run-cli.ts';

/**
 * A sandbox config whose Synapse keeps its data in `planted` (homeserver.yaml as a file beside the config), with
 * `database` as its synapse.database section (YAML flow text) and `dotenv` appended to its .env.
 */
async function postgresBackedConfig(planted: PlantedSynapseDatabase, homeserver: string, database?: string, dotenv = ''): Promise<string> {
  const { schema } = await createOpenmeetTenant(uniqueName('cli'), 4);
  const { path } = await sandboxConfig(schema);
  const dir = dirname(path);
  await writeFile(join(dir, 'homeserver.yaml'), homeserver);
  if (dotenv !== '') await writeFile(join(dir, '.env'), `${await readFile(join(dir, '.env'), 'utf8')}${dotenv}`, { mode: 0o600 });
  const text = await readFile(path, 'utf8');
  const extra = ['      homeserverConfig: { file: homeserver.yaml }', ...(database === undefined ? [] : [`      database: ${database}`])].join('\n');
  await writeFile(path, text.replace(/^( {6}sharedSecret: .*)$/m, `$1\n${extra}`));
  return path;
}

describe("doctor and plan of a Postgres-backed Synapse show its database and never its password", () => {
  let planted: PlantedSynapseDatabase;

  beforeAll(async () => {
    planted = await plantSynapseDatabase({ schemaVersion: 88 });
  });

  afterAll(async () => {
    await planted?.drop();
  });

  /** doctor (text and --json), plan (text and --json) and the plan file, all without the password. */
  async function runAll(path: string): Promise<{ doctorText: CliRun; doctorJson: CliRun; planText: CliRun; planJson: CliRun; planFile: string }> {
    const cwd = dirname(path);
    const doctorText = await runCli(['doctor', '--config', path], { cwd });
    const doctorJson = await runCli(['doctor', '--config', path, '--json'], { cwd });
    const planText = await runCli(['plan', '--config', path, '--mode', 'repair', '--out', 'a.plan.json'], { cwd });
    const planJson = await runCli(['plan', '--config', path, '--mode', 'repair', '--out', 'b.plan.json', '--json'], { cwd });
    const planFile = (await readFile(join(cwd, 'a.plan.json'), 'utf8')) + (await readFile(join(cwd, 'b.plan.json'), 'utf8'));
    for (const run of [doctorText, doctorJson, planText, planJson]) {
      expect(run.stderr).not.toContain('error[');
      expect(leakedSecrets(run, [planted.password])).toEqual([]);
    }
    expect(planFile).not.toContain(planted.password);
    expect(planFile).not.toContain('postgres://');
    return { doctorText, doctorJson, planText, planJson, planFile };
  }

  it("with the password in homeserver.yaml: doctor and plan report the database, text and JSON", async () => {
    const path = await postgresBackedConfig(planted, planted.homeserverYaml());
    const { doctorText, doctorJson, planText, planJson } = await runAll(path);
    const where = `${planted.role}@${planted.host}:${planted.port}/${planted.database} (from homeserver.yaml; password from homeserver.yaml)`;
    expect(doctorText.stdout).toContain("Synapse's data: Postgres (deleting the PVC invalidates no token)");
    expect(doctorText.stdout).toContain(`Database: ${where}`);
    expect(doctorText.stdout).toMatch(new RegExp(`PostgreSQL \\d[^;]*; ${planted.database}: [\\d.]+ MB, owner ${planted.role}, encoding UTF8, collate C, ctype C`));
    expect(doctorText.stdout).toContain(`Role ${planted.role}: owns the database, no CREATEDB; 0 other sessions on it now; schema version 88`);
    expect(doctorText.stdout).toMatch(/Other databases on the server: \d+: .*postgres/);
    const report = JSON.parse(doctorJson.stdout) as { storage: { storage: { engine: string; user: string }; database: { reachable: boolean; schema: unknown } } };
    expect(report.storage.storage).toMatchObject({ engine: 'psycopg2', user: planted.role });
    expect(report.storage.database).toMatchObject({ reachable: true, schema: { state: 'present', version: 88 } });
    expect(planText.stdout).toContain(`    Database: ${where}`);
    const planned = JSON.parse(planJson.stdout) as { plan: { observed: { storage: { database: { reachable: boolean; database: { owner: string } } } } } };
    expect(planned.plan.observed.storage.database).toMatchObject({ reachable: true, database: { owner: planted.role } });
  });

  it('with the password from synapse.database.password and the host overridden: the same, and where each came from', async () => {
    const homeserver = planted.homeserverYaml({ password: undefined, host: 'synapse-postgres.matrix.svc.cluster.local' });
    const path = await postgresBackedConfig(planted, homeserver, `{ host: ${planted.host}, password: dotenv:.env#SYNAPSE_DB_PASSWORD }`, `SYNAPSE_DB_PASSWORD=${planted.password}\n`);
    const { doctorText, planText } = await runAll(path);
    const where = `${planted.role}@${planted.host}:${planted.port}/${planted.database} (from homeserver.yaml, host, password from synapse.database; password from synapse.database.password)`;
    expect(doctorText.stdout).toContain(`Database: ${where}`);
    expect(planText.stdout).toContain(`Database: ${where}`);
  });

  it('a database it cannot reach is reported by its code, the doctor still reporting the credentials', async () => {
    const path = await postgresBackedConfig(planted, planted.homeserverYaml({ database: `${planted.database}_gone` }));
    const run = await runCli(['doctor', '--config', path], { cwd: dirname(path) });
    expect(run.stdout).toContain("Not reachable: SQLSTATE 3D000: Cannot connect to Synapse's database");
    expect(run.stdout).toContain('the server has no such database');
    expect(run.stdout).toContain('Recommendation:');
    expect(leakedSecrets(run, [planted.password])).toEqual([]);
  });
});

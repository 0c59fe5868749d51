import { randomBytes, randomInt } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openSecretStore } from '@matrix-reset/secrets';
import type { SynapseClient } from '@matrix-reset/synapse-admin';
import type { AnyKysely } from '@matrix-reset/user-creds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { isResetError } from '../reset-error.ts';
import { plantSynapseDatabase } from '../test-support/synapse-postgres.ts';
import { createOpenmeetTenants, registerUser, sandboxClients, sandboxDb, sandboxSynapse, uniqueSuffix, type UserRow } from '../test-support/doctor-fixtures.ts';
import { doctor, type DoctorFinding, type DoctorReport } from './doctor.ts';

/*
 * Both of doctor's evidence paths on the same credentials, against the sandbox's Synapse on Postgres: every class,
 * rows spread over three schemas, tokens made every way Synapse makes them (registration, login-as, login-as with an
 * expiry) and ways it does not (a token row written straight into access_tokens for a deactivated user, as a restore
 * of an old dump leaves it). The database path must give each row the verdict whoami and the admin API give it.
 */

const fakeToken = () => `syt_${randomBytes(12).toString('base64url')}_${randomBytes(4).toString('hex')}`;
const required = (name: string) => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set: the test command starts the sandbox with --with synapse-postgres`);
  return value;
};

let db: AnyKysely;
let client: SynapseClient;
let admin: SynapseClient;
let adminToken: string;
let synapseDb: pg.Client;
const tokens: string[] = [];

function row(slug: string, userId: string | null, accessToken: string | null, deviceId: string | null = `DEV${slug}`): UserRow {
  if (accessToken !== null) tokens.push(accessToken);
  return { slug, matrixUserId: userId, matrixAccessToken: accessToken, matrixDeviceId: deviceId };
}

const user = (prefix: string) => registerUser(client, `${prefix}-${uniqueSuffix()}`, false, 'postgres');
const ghost = () => `@ghost-${uniqueSuffix()}:${sandboxSynapse('postgres').serverName}`;

/** The environment doctor runs on: the app's tenants and, for the database path, how to reach Synapse's database. */
async function environment(schemas: readonly string[], database: string): Promise<EnvironmentConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'evidence-'));
  await writeFile(join(dir, '.env'), `MATRIX_ADMIN_ACCESS_TOKEN=${adminToken}\n`, { mode: 0o600 });
  const { url, serverName } = sandboxSynapse('postgres');
  const yaml = [
    'version: 1',
    'environments:',
    '  local:',
    `    synapse: { url: ${url}, serverName: ${serverName}, ${database} }`,
    '    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]',
    `    appDatabase: { url: env:DATABASE_URL, layout: { preset: openmeet, schemas: { names: [${schemas.join(", ")}] } } }`,
    '',
  ].join('\n');
  return resolveEnvironment(parseResetConfig(yaml, { path: join(dir, 'matrix-reset.yaml') }), 'local');
}

const byRow = (findings: readonly DoctorFinding[]) =>
  [...findings]
    .sort((a, b) => `${a.schema}/${a.key}`.localeCompare(`${b.schema}/${b.key}`))
    .map((f) => ({ schema: f.schema, key: f.key, userId: f.userId, class: f.class, reason: f.reason, actualUserId: f.actualUserId }));

/** Runs `work`, counting the HTTP requests undici starts meanwhile (every Synapse call of this process). */
async function countingRequests<T>(work: () => Promise<T>): Promise<{ result: T; requests: number }> {
  let requests = 0;
  const count = () => void requests++;
  diagnostics.subscribe('undici:request:create', count);
  try {
    return { result: await work(), requests };
  } finally {
    diagnostics.unsubscribe('undici:request:create', count);
  }
}

beforeAll(async () => {
  db = sandboxDb();
  let adminUser;
  ({ client, admin, adminUser } = await sandboxClients('postgres'));
  adminToken = adminUser.accessToken;
  synapseDb = new pg.Client({ connectionString: required('SYNAPSE_POSTGRES_DATABASE_URL') });
  await synapseDb.connect();
});

afterAll(async () => {
  await synapseDb?.end();
  await db?.destroy();
});

describe('doctor --evidence database against --evidence api, on the same credentials', () => {
  let api: DoctorReport;
  let database: DoctorReport;
  let auto: DoctorReport;
  let requests: { api: number; database: number; auto: number };
  let schemas: string[];
  let ids: Record<string, string>;

  beforeAll(async () => {
    const names = ['valid', 'puppet', 'logout', 'expire', 'puppetExpire', 'deact', 'erased', 'deactToken', 'owner', 'other', 'locked', 'b1', 'b2'];
    const users = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await user(name.toLowerCase())] as const)));
    ids = Object.fromEntries(Object.entries(users).map(([name, u]) => [name, u.userId]));
    const { accessToken: puppet } = await admin.admin.loginAsUser(ids.puppet!);
    const { accessToken: shortLived } = await admin.admin.loginAsUser(ids.expire!, { validUntilMs: Date.now() + 1_000 });
    const { accessToken: puppetShort } = await admin.admin.loginAsUser(ids.puppetExpire!, { validUntilMs: Date.now() + 1_000 });
    const { accessToken: othersToken } = await admin.admin.loginAsUser(ids.other!);
    await client.withAccessToken(users.logout!.accessToken).logout();
    await admin.admin.deactivateUser(ids.deact!, { erase: false });
    await admin.admin.deactivateUser(ids.erased!, { erase: true });
    await admin.admin.deactivateUser(ids.deactToken!, { erase: false });
    // Deactivation deletes a user's tokens; a token row for a deactivated user can still exist (an old dump restored).
    const resurrected = fakeToken();
    await synapseDb.query('INSERT INTO access_tokens (id, user_id, device_id, token) VALUES ($1, $2, $3, $4)', [randomInt(2 ** 40, 2 ** 47), ids.deactToken, 'RESTORED', resurrected]);
    await admin.admin.upsertUser(ids.locked!, { locked: true });
    ({ schemas } = await createOpenmeetTenants(db, [
      [
        row('valid', ids.valid!, users.valid!.accessToken, users.valid!.deviceId),
        row('puppet', ids.puppet!, puppet, null),
        row('logout', ids.logout!, users.logout!.accessToken),
        row('expire', ids.expire!, shortLived, null),
        row('pexp', ids.puppetExpire!, puppetShort, null),
        row('nulltoken', ids.valid!, null),
      ],
      [
        row('deact', ids.deact!, users.deact!.accessToken),
        row('erased', ids.erased!, users.erased!.accessToken),
        row('deacttoken', ids.deactToken!, resurrected, 'RESTORED'),
        row('owner', ids.owner!, othersToken, null),
        row('ghost1', ghost(), fakeToken()),
        row('ghosttoken', ghost(), users.b1!.accessToken),
      ],
      [
        row('locked', ids.locked!, users.locked!.accessToken, users.locked!.deviceId),
        row('b2', ids.b2!, users.b2!.accessToken, users.b2!.deviceId),
        row('ghost2', ghost(), fakeToken()),
        // Rows naming users of another homeserver (an app that talked to two): the admin API cannot look them up.
        row('foreign', '@someone:other.example', fakeToken()),
        row('foreigntoken', '@someone:other.example', users.b2!.accessToken),
        row('nulluser', null, fakeToken()),
      ],
    ]));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // let the short-lived tokens expire
    const viaUrl = await environment(schemas, 'database: { url: env:SYNAPSE_POSTGRES_DATABASE_URL }');
    const viaHomeserver = await environment(schemas, `homeserverConfig: { file: ${required('SYNAPSE_POSTGRES_CONFIG_FILE')} }`);
    const deps = { synapse: admin, db, openSecretStore: (reference: string) => openSecretStore(reference) };
    const runs = [
      await countingRequests(() => doctor(viaUrl, deps, { evidence: 'api' })),
      await countingRequests(() => doctor(viaUrl, deps, { evidence: 'database' })),
      await countingRequests(() => doctor(viaHomeserver, deps, { evidence: 'auto', crossCheck: 100 })),
    ] as const;
    [api, database, auto] = [runs[0].result, runs[1].result, runs[2].result];
    requests = { api: runs[0].requests, database: runs[1].requests, auto: runs[2].requests };
  });

  it('uses the evidence asked for, and auto finds the database through homeserver.yaml', () => {
    expect(api.evidence.source).toBe('api');
    expect(database.evidence).toMatchObject({ source: 'database', schemaVersion: expect.any(Number) });
    expect(auto.evidence.source).toBe('database');
    expect(auto.evidence.reason).toContain('answers');
  });

  it('finds every class through the API', () => {
    expect(api.totals).toEqual({ valid: 4, unknown_token: 1, expired: 2, missing_user: 3, deactivated: 3, wrong_owner: 3, partial: 2, unchecked: 0 });
    expect(api.findings.find((f) => f.class === 'missing_user' && f.userId === '@someone:other.example')?.reason).toMatch(/another server \(other\.example\)/);
    expect(api.findings.find((f) => f.userId === ids.owner)?.actualUserId).toBe(ids.other);
    expect(api.findings.find((f) => f.userId === ids.locked)?.reason).toMatch(/locked/);
  });

  it('asks Synapse nothing on the database path, the admin token included', () => {
    expect(database.adminToken).toBe('valid');
    expect(requests.database).toBe(0);
    expect(requests.api).toBeGreaterThanOrEqual(14);
    // The cross-check asks whoami once per checked row, and the admin API about the users of dead tokens.
    expect(requests.auto).toBeGreaterThanOrEqual(auto.crossCheck?.checked ?? 1);
  });

  it('gives every row the same verdict from the database', () => {
    expect(database.totals).toEqual(api.totals);
    expect(database.schemas).toEqual(api.schemas);
    expect(byRow(database.findings)).toEqual(byRow(api.findings));
    expect(database.recommendation).toEqual(api.recommendation);
    expect(byRow(auto.findings)).toEqual(byRow(api.findings));
  });

  it('agrees with whoami on every row it cross-checks', () => {
    expect(auto.crossCheck).toMatchObject({ requested: 100, disagreements: [] });
    expect(auto.crossCheck?.checked).toBe(auto.examined - auto.totals.partial);
  });

  it('puts no token in any report', () => {
    for (const report of [api, database, auto]) for (const token of tokens) expect(JSON.stringify(report)).not.toContain(token);
  });
});

describe('doctor --evidence auto and database where the database cannot serve', () => {
  let schemas: string[];
  let valid: { userId: string; accessToken: string; deviceId: string };
  const deps = () => ({ synapse: admin, db, openSecretStore: (reference: string) => openSecretStore(reference) });

  beforeAll(async () => {
    valid = await user('fallback');
    ({ schemas } = await createOpenmeetTenants(db, [[row('valid', valid.userId, valid.accessToken, valid.deviceId), row('ghost', ghost(), fakeToken())]]));
  });

  /** doctor with `evidence` on an environment whose synapse section also has `extra`. */
  const run = async (extra: string, evidence: 'auto' | 'database') => doctor(await environment(schemas, extra), deps(), { evidence });

  it('auto checks through the API, saying why, when no database is configured', async () => {
    const report = await run('adminUser: admin', 'auto');
    expect(report.evidence).toEqual({ source: 'api', reason: expect.stringMatching(/not configured here/) });
    expect(report.totals).toMatchObject({ valid: 1, missing_user: 1 });
  });

  it('database refuses, naming the settings, when no database is configured', async () => {
    const error = await run('adminUser: admin', 'database').catch((e: unknown) => e);
    expect(isResetError(error) && error.code).toBe('environment_incapable');
    expect((error as Error).message).toMatch(/synapse\.database or synapse\.homeserverConfig/);
  });

  it('auto falls back when the database does not answer; database refuses', async () => {
    const unreachable = 'database: { host: 127.0.0.1, port: 9, user: nobody, password: env:DATABASE_URL }';
    const report = await run(unreachable, 'auto');
    expect(report.evidence.source).toBe('api');
    expect(report.evidence.reason).toMatch(/could not be used/);
    expect(report.totals).toMatchObject({ valid: 1, missing_user: 1 });
    await expect(run(unreachable, 'database')).rejects.toSatisfy(isResetError);
  });

  it('says a Synapse on SQLite is checked through the API (auto), and refuses database', async () => {
    const sqlite = `homeserverConfig: { file: ${required('SYNAPSE_CONFIG_FILE')} }`; // the sandbox's other Synapse
    const report = await run(sqlite, 'auto');
    expect(report.evidence).toEqual({ source: 'api', reason: expect.stringMatching(/SQLite .* checked through the API/) });
    const error = await run(sqlite, 'database').catch((e: unknown) => e);
    expect(isResetError(error) && error.code).toBe('environment_incapable');
    expect((error as Error).message).toMatch(/SQLite/);
  });

  it.each([
    [50, /schema version 50 is outside/],
    [undefined, /no schema_version table/],
  ])('falls back to the API on a database whose schema it does not know (schema_version %s), either way', async (version, why) => {
    const planted = await plantSynapseDatabase({ schemaVersion: version });
    try {
      const url = `postgres://${planted.role}:${planted.password}@${planted.host}:${planted.port}/${planted.database}`;
      process.env.MR_TEST_PLANTED_URL = url;
      for (const evidence of ['auto', 'database'] as const) {
        const report = await run('database: { url: env:MR_TEST_PLANTED_URL }', evidence);
        expect(report.evidence.source).toBe('api');
        expect(report.evidence.reason).toMatch(why);
        expect(report.evidence.reason).toContain('checked through the API instead');
        expect(JSON.stringify(report)).not.toContain(planted.password);
      }
    } finally {
      delete process.env.MR_TEST_PLANTED_URL;
      await planted.drop();
    }
  });
});

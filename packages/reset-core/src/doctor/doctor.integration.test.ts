import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSynapseClient, type SynapseClient } from '@matrix-reset/synapse-admin';
import type { AnyKysely, CredentialLayout } from '@matrix-reset/user-creds';
import { doctor, type DoctorProgress, type DoctorReport } from './doctor.ts';
import {
  createOpenmeetTenants,
  registerUser,
  sandboxClients,
  sandboxDb,
  sandboxSynapse,
  uniqueSuffix,
  usersChecksum,
  type UserRow,
} from '../test-support/doctor-fixtures.ts';

const target = (layout: CredentialLayout) => ({ name: 'test', appDatabase: { url: 'env:DATABASE_URL', layout } });
const fakeToken = () => `syt_${randomBytes(12).toString('base64url')}_${randomBytes(4).toString('hex')}`;

let db: AnyKysely;
let client: SynapseClient;
let admin: SynapseClient;
/** Every token the fixtures put in the database, to prove none comes back out. */
const tokens: string[] = [];

function row(slug: string, userId: string | null, accessToken: string | null, deviceId: string | null = `DEV${slug}`): UserRow {
  if (accessToken !== null) tokens.push(accessToken);
  return { slug, matrixUserId: userId, matrixAccessToken: accessToken, matrixDeviceId: deviceId };
}

async function user(prefix: string) {
  return registerUser(client, `${prefix}-${uniqueSuffix()}`);
}

function ghost(): string {
  return `@ghost-${uniqueSuffix()}:${sandboxSynapse().serverName}`;
}

function expectNoTokens(text: string): void {
  for (const token of tokens) expect(text).not.toContain(token);
}

beforeAll(async () => {
  db = sandboxDb();
  ({ client, admin } = await sandboxClients());
});

afterAll(async () => {
  await db.destroy();
});

describe('doctor on a server that still has its users', () => {
  let schemas: string[];
  let layout: CredentialLayout;
  let report: DoctorReport;
  let before: string[];
  let wrongOwnerUser: string;
  const progress: DoctorProgress[] = [];

  beforeAll(async () => {
    const [valid1, valid2, loggedOut, expiring, deactivated] = await Promise.all(['valid', 'valid', 'logout', 'expire', 'deact'].map(user));
    await client.withAccessToken(loggedOut!.accessToken).logout();
    const { accessToken: shortLived } = await admin.admin.loginAsUser(expiring!.userId, { validUntilMs: Date.now() + 1_000 });
    await admin.admin.deactivateUser(deactivated!.userId, { erase: false });
    const { accessToken: otherToken } = await admin.admin.loginAsUser(valid2!.userId);
    wrongOwnerUser = valid1!.userId;
    ({ schemas, layout } = await createOpenmeetTenants(db, [
      [
        row('v1', valid1!.userId, valid1!.accessToken, valid1!.deviceId),
        row('v2', valid2!.userId, valid2!.accessToken, valid2!.deviceId),
        row('lo', loggedOut!.userId, loggedOut!.accessToken),
        row('ex', expiring!.userId, shortLived),
        row('de', deactivated!.userId, deactivated!.accessToken),
      ],
      [
        row('wo', valid1!.userId, otherToken),
        row('p1', valid2!.userId, null),
        row('p2', valid2!.userId, valid2!.accessToken, null),
        row('g1', ghost(), fakeToken()),
        row('g2', ghost(), fakeToken()),
      ],
    ]));
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the short-lived token expire
    before = await Promise.all(schemas.map((schema) => usersChecksum(db, schema)));
    report = await doctor(target(layout), { synapse: admin, db }, { concurrency: 4, progressEvery: 3, onProgress: (p) => progress.push(p) });
  });

  it('counts every class', () => {
    // p2 has a working token and no device id (as a login-as token leaves it): valid, not partial.
    expect(report.totals).toEqual({ valid: 3, unknown_token: 1, expired: 1, missing_user: 2, deactivated: 1, wrong_owner: 1, partial: 1, unchecked: 0 });
    expect(report.examined).toBe(10);
    expect(report.population).toBe(10);
  });

  it('counts per schema', () => {
    expect(report.schemas.map((s) => [s.schema, s.examined])).toEqual([
      [schemas[0], 5],
      [schemas[1], 5],
    ]);
    expect(report.schemas[1]?.counts).toMatchObject({ wrong_owner: 1, valid: 1, partial: 1, missing_user: 2 });
  });

  it('lists the rows that are not valid with their user ids, and who really owns a wrong token', () => {
    expect(report.findings).toHaveLength(7);
    expect(report.findingsTotal).toBe(7);
    const wrong = report.findings.find((f) => f.class === 'wrong_owner');
    expect(wrong).toMatchObject({ schema: schemas[1], userId: wrongOwnerUser });
    expect(wrong?.actualUserId).not.toBe(wrongOwnerUser);
  });

  it('recommends a repair when the users are still there', () => {
    expect(report.recommendation.action).toBe('repair');
    // The deactivated row is counted apart: the app's decision, not drift a repair fixes.
    expect(report.recommendation.evidence).toMatchObject({ checked: 9, broken: 5, deactivated: 1, missingUser: 2, missingUserPercent: 22.2 });
  });

  it('looks each user up once, and only users whose token is dead', () => {
    expect(report.userLookups).toBe(4); // logged out, deactivated, two ghosts
  });

  it('reports progress', () => {
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ examined: 10, total: 10 });
  });

  it('changes nothing in the database', async () => {
    expect(await Promise.all(schemas.map((schema) => usersChecksum(db, schema)))).toEqual(before);
  });

  it('puts no token in its result', () => {
    expect(report.adminToken).toBe('valid');
    expectNoTokens(JSON.stringify(report));
    expect(Object.isFrozen(report.findings[0])).toBe(true);
  });
});

describe('doctor on a wiped server', () => {
  let layout: CredentialLayout;

  beforeAll(async () => {
    const alive = await user('alive');
    const rows = [row('a', alive.userId, alive.accessToken, alive.deviceId)];
    for (let i = 0; i < 9; i++) rows.push(row(`g${i}`, ghost(), fakeToken()));
    ({ layout } = await createOpenmeetTenants(db, [rows]));
  });

  it('recommends a full reset when most users are missing', async () => {
    const report = await doctor(target(layout), { synapse: admin, db });
    expect(report.totals).toMatchObject({ valid: 1, missing_user: 9 });
    expect(report.recommendation).toMatchObject({ action: 'full-reset', evidence: { missingUserPercent: 90 } });
  });

  it('checks an evenly spaced sample when asked', async () => {
    const report = await doctor(target(layout), { synapse: admin, db }, { sample: 5 });
    expect(report.examined).toBe(5);
    expect(report.population).toBe(10);
    expect(report.sample).toMatchObject({ requested: 5, method: 'evenly-spaced' });
    // Rows 2, 4, 6, 8, 10 in key order: all ghosts here.
    expect(report.totals.missing_user).toBe(5);
  });

  it('caps the listed rows but not the counts', async () => {
    const report = await doctor(target(layout), { synapse: admin, db }, { maxListedRows: 3 });
    expect(report.findings).toHaveLength(3);
    expect(report.findingsTotal).toBe(9);
  });

  it('cannot tell missing users from dead tokens without an admin token, and says so', async () => {
    const report = await doctor(target(layout), { synapse: client, db });
    expect(report.adminToken).toBe('absent');
    expect(report.totals).toMatchObject({ valid: 1, unchecked: 9 });
    expect(report.findings[0]?.reason).toContain('admin token absent');
    expect(report.recommendation.action).toBe('inconclusive');
  });
});

describe('doctor after a wipe that took the admin token too', () => {
  it('counts the dead tokens as unknown_token and recommends a full reset: the server knows none of them', async () => {
    const rows = [row('w1', ghost(), fakeToken()), row('w2', ghost(), fakeToken()), row('w3', ghost(), fakeToken())];
    const { layout } = await createOpenmeetTenants(db, [rows]);
    const deadAdmin = client.withAccessToken(fakeToken());
    const report = await doctor(target(layout), { synapse: deadAdmin, db });
    expect(report.adminToken).toBe('invalid');
    expect(report.totals).toMatchObject({ unknown_token: 3, unchecked: 0, valid: 0 });
    expect(report.recommendation.action).toBe('full-reset');
    expect(report.recommendation.reason).toMatch(/neither the stored admin token nor any of the 3 checked credentials/);
  });
});

describe('doctor on a healthy server', () => {
  it('recommends nothing when every credential is valid', async () => {
    const [a, b] = await Promise.all([user('ok'), user('ok')]);
    const { layout } = await createOpenmeetTenants(db, [[row('a', a!.userId, a!.accessToken, a!.deviceId), row('b', b!.userId, b!.accessToken, b!.deviceId)]]);
    const report = await doctor(target(layout), { synapse: admin, db });
    expect(report.totals.valid).toBe(2);
    expect(report.recommendation.action).toBe('nothing');
    expect(report.findings).toEqual([]);
  });
});

describe('doctor when Synapse cannot be reached', () => {
  it('marks every row unchecked with the reason, without leaking tokens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = createSynapseClient({ baseUrl: `http://127.0.0.1:${port}`, retry: { maxRetries: 0 } });
    const { layout } = await createOpenmeetTenants(db, [[row('x', ghost(), fakeToken()), row('y', ghost(), fakeToken())]]);
    const report = await doctor(target(layout), { synapse: down, db });
    expect(report.totals.unchecked).toBe(2);
    expect(report.findings[0]?.reason).toBe('whoami failed: connection_refused');
    expect(report.recommendation.action).toBe('inconclusive');
    expectNoTokens(JSON.stringify(report));
  });
});

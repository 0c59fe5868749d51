import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSynapseClient, type SynapseClient } from '@matrix-reset/synapse-admin';
import type { AnyKysely } from '@matrix-reset/user-creds';
import { ensureCredentials, EnsureCredentialsError, type EnsureCredentialsDeps, type EnsureCredentialsEvent, type EnsuredCredentials } from './ensure-credentials.ts';
import { SingleFlight } from '../support/single-flight.ts';
import { doctor } from '../doctor/doctor.ts';
import { isResetError } from '../reset-error.ts';
import {
  adminClient,
  countMatrixUsers,
  createOpenmeetTenant,
  ensureTestDb,
  insertAppUser,
  plainClient,
  registerMatrixUser,
  storedRow,
  synapseEnv,
  uniqueSuffix,
} from '../test-support/ensure-fixtures.ts';

let db: AnyKysely;
let admin: SynapseClient;
let adminToken: string;

beforeAll(async () => {
  db = ensureTestDb();
  ({ client: admin, accessToken: adminToken } = await adminClient());
});

afterAll(async () => {
  await db.destroy();
});

async function tenantDeps(overrides: Partial<EnsureCredentialsDeps> = {}) {
  const tenant = await createOpenmeetTenant(db);
  const deps: EnsureCredentialsDeps = { db, layout: tenant.layout, synapse: admin, serverName: synapseEnv().serverName, ...overrides };
  return { ...tenant, deps };
}

async function whoamiOf(credentials: EnsuredCredentials): Promise<string> {
  return (await plainClient().withAccessToken(credentials.accessToken.reveal()).whoami()).userId;
}

/** Every string an error exposes: message, next steps, JSON, inspect, and its cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current), String(current));
    if (isResetError(current)) parts.push(...current.nextSteps);
  }
  return parts.join('\n');
}

describe('ensureCredentials', () => {
  it('keeps a stored token that whoami accepts for the row user, without minting one', async () => {
    const { schema, deps } = await tenantDeps();
    const user = await registerMatrixUser();
    const id = await insertAppUser(db, schema, { slug: 'kept', userId: user.userId, accessToken: user.accessToken, deviceId: 'DEV1' });
    const events: EnsureCredentialsEvent[] = [];

    const result = await ensureCredentials({ ...deps, onEvent: (event) => events.push(event) }, { schema, appUserKey: id });

    expect(result.source).toBe('kept');
    expect(result.accessToken.reveal()).toBe(user.accessToken);
    expect(result.deviceId).toBe('DEV1');
    expect(await storedRow(db, schema, id)).toEqual({ userId: user.userId, accessToken: user.accessToken, deviceId: 'DEV1' });
    expect(events.map((event) => event.type)).toEqual(['ensured']);
  });

  it('replaces a dead token of an existing user with a login-as token that expires', async () => {
    const { schema, deps } = await tenantDeps({ tokenLifetimeMs: 60_000 });
    const user = await registerMatrixUser();
    const id = await insertAppUser(db, schema, { slug: 'dead', userId: user.userId, accessToken: `syt_dead_${uniqueSuffix()}`, deviceId: 'OLDDEV' });

    const result = await ensureCredentials(deps, { schema, appUserKey: id });

    expect(result.source).toBe('login-as');
    expect(result.userId).toBe(user.userId);
    expect(await whoamiOf(result)).toBe(user.userId);
    expect(await storedRow(db, schema, id)).toEqual({ userId: user.userId, accessToken: result.accessToken.reveal(), deviceId: null });
    // A login-as token has no device: doctor judges the row by whoami (valid), not as partial.
    const report = await doctor({ name: 'ensure', appDatabase: { url: 'env:UNUSED', layout: deps.layout } }, { synapse: admin, db });
    expect(report.totals).toMatchObject({ valid: 1, partial: 0 });
  });

  it('replaces a working token that belongs to another user than the row names', async () => {
    const { schema, deps } = await tenantDeps();
    const owner = await registerMatrixUser();
    const stranger = await registerMatrixUser();
    const id = await insertAppUser(db, schema, { slug: 'mixed', userId: owner.userId, accessToken: stranger.accessToken });

    const result = await ensureCredentials(deps, { schema, appUserKey: id });

    expect(result.source).toBe('login-as');
    expect(await whoamiOf(result)).toBe(owner.userId);
  });

  it('creates a missing Matrix user from the layout localpart template and logs it in', async () => {
    const { schema, tenant, deps } = await tenantDeps();
    const slug = `new${uniqueSuffix()}`;
    const id = await insertAppUser(db, schema, { slug });

    const result = await ensureCredentials(deps, { schema, appUserKey: id });

    const expected = `@${slug}_${tenant}:${synapseEnv().serverName}`;
    expect(result).toMatchObject({ source: 'created', userId: expected, deviceId: undefined });
    expect(await whoamiOf(result)).toBe(expected);
    expect((await admin.admin.getUser(expected))?.deactivated).toBe(false);
    expect((await storedRow(db, schema, id)).accessToken).toBe(result.accessToken.reveal());
  });

  it('provisions a partial row (user id and device, NULL token) under the user id the row names', async () => {
    const { schema, deps } = await tenantDeps();
    const userId = `@partial-${uniqueSuffix()}:${synapseEnv().serverName}`;
    const id = await insertAppUser(db, schema, { slug: 'partial', userId, accessToken: null, deviceId: 'DEV9' });

    const result = await ensureCredentials(deps, { schema, appUserKey: id });

    expect(result).toMatchObject({ source: 'created', userId });
    expect(await whoamiOf(result)).toBe(userId);
    expect(await storedRow(db, schema, id)).toEqual({ userId, accessToken: result.accessToken.reveal(), deviceId: null });
  });

  it('answers 1,000 concurrent calls for one user with one Matrix user and one token', async () => {
    const { schema, tenant, deps } = await tenantDeps();
    const slug = `crowd${uniqueSuffix()}`;
    const id = await insertAppUser(db, schema, { slug });

    const results = await Promise.all(Array.from({ length: 1000 }, () => ensureCredentials(deps, { schema, appUserKey: id })));

    const tokens = new Set(results.map((result) => result.accessToken.reveal()));
    expect(tokens.size).toBe(1);
    expect(new Set(results.map((result) => result.source))).toEqual(new Set(['created']));
    expect(await countMatrixUsers(admin, `${slug}_${tenant}`)).toBe(1);
    expect((await storedRow(db, schema, id)).accessToken).toBe([...tokens][0]);
  });

  it('gives two processes (separate pools, concurrent) one Matrix user and one token', async () => {
    const { schema, tenant, deps } = await tenantDeps();
    const slug = `twoproc${uniqueSuffix()}`;
    const id = await insertAppUser(db, schema, { slug });
    const dbA = ensureTestDb(4);
    const dbB = ensureTestDb(4);
    try {
      const depsA: EnsureCredentialsDeps = { ...deps, db: dbA, synapse: createSynapseClient({ baseUrl: synapseEnv().url, accessToken: adminToken }) };
      const depsB: EnsureCredentialsDeps = { ...deps, db: dbB, synapse: createSynapseClient({ baseUrl: synapseEnv().url, accessToken: adminToken }) };
      const calls = Array.from({ length: 400 }, (_, i) => ensureCredentials(i % 2 === 0 ? depsA : depsB, { schema, appUserKey: id }));

      const results = await Promise.all(calls);

      expect(new Set(results.map((result) => result.accessToken.reveal())).size).toBe(1);
      expect(new Set(results.map((result) => result.source))).toEqual(new Set(['created', 'kept']));
      expect(await countMatrixUsers(admin, `${slug}_${tenant}`)).toBe(1);
    } finally {
      await Promise.all([dbA.destroy(), dbB.destroy()]);
    }
  });

  it('mints one token for concurrent calls that spell one integer key differently ("1", "01")', async () => {
    const { schema, tenant, deps } = await tenantDeps();
    const slug = `spelled${uniqueSuffix()}`;
    const id = await insertAppUser(db, schema, { slug });
    let mints = 0;
    const synapse = createSynapseClient({
      baseUrl: synapseEnv().url,
      accessToken: adminToken,
      logger: (event) => {
        if (event.route === '/_synapse/admin/v1/users/{userId}/login' && event.status === 200) mints++;
      },
    });
    const events: EnsureCredentialsEvent[] = [];
    const spellings = [String(id), `0${id}`, `00${id}`];

    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => ensureCredentials({ ...deps, synapse, onEvent: (event) => events.push(event) }, { schema, appUserKey: spellings[i % 3]! })),
    );

    expect(mints).toBe(1);
    expect(new Set(results.map((result) => result.accessToken.reveal())).size).toBe(1);
    expect(events.filter((event) => event.type === 'write_conflict')).toEqual([]);
    expect(await countMatrixUsers(admin, `${slug}_${tenant}`)).toBe(1);
    expect((await storedRow(db, schema, id)).accessToken).toBe(results[0]!.accessToken.reveal());
  });

  it('keeps what a concurrent writer stored instead of overwriting it (compare-and-set)', async () => {
    const { schema, deps } = await tenantDeps();
    const user = await registerMatrixUser();
    const id = await insertAppUser(db, schema, { slug: 'cas', userId: user.userId, accessToken: `syt_dead_${uniqueSuffix()}` });
    const theirs = (await admin.admin.loginAsUser(user.userId)).accessToken;
    const events: EnsureCredentialsEvent[] = [];
    const other = ensureTestDb(1);
    try {
      // The other writer (the app) updates the row and holds its row lock, so our compare-and-set waits behind it.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const otherWriter = other.transaction().execute(async (trx) => {
        await sql`UPDATE ${sql.id(schema, 'users')} SET "matrixAccessToken" = ${theirs} WHERE id = ${id}`.execute(trx);
        await released;
      });
      const ours = ensureCredentials({ ...deps, onEvent: (event) => events.push(event) }, { schema, appUserKey: id });
      for (let waited = 0; ; waited += 50) {
        const waiting = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE%' AND query LIKE ${`%${schema}%`} AND pid <> pg_backend_pid()`.execute(db);
        if ((waiting.rows[0]?.n ?? 0) > 0) break;
        if (waited > 20_000) throw new Error('our compare-and-set never queued behind the other writer');
        await sleep(50);
      }
      release();
      await otherWriter;

      const result = await ours;

      expect(result.source).toBe('kept');
      expect(result.accessToken.reveal()).toBe(theirs);
      expect((await storedRow(db, schema, id)).accessToken).toBe(theirs);
      expect(events.map((event) => event.type)).toEqual(['write_conflict', 'ensured']);
    } finally {
      await other.destroy();
    }
  });

  it('refuses to reactivate a deactivated Matrix user, without a token in the error', async () => {
    const { schema, deps } = await tenantDeps();
    const user = await registerMatrixUser();
    const id = await insertAppUser(db, schema, { slug: 'gone', userId: user.userId, accessToken: user.accessToken });
    await admin.admin.deactivateUser(user.userId);

    const error = await ensureCredentials(deps, { schema, appUserKey: id }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(EnsureCredentialsError);
    expect(error).toMatchObject({ code: 'matrix_user_deactivated', reason: 'matrix_user_deactivated' });
    expect((error as EnsureCredentialsError).nextSteps.length).toBeGreaterThan(0);
    expect((await admin.admin.getUser(user.userId))?.deactivated).toBe(true);
    const text = errorText(error);
    expect(text).not.toContain(user.accessToken);
    expect(text).not.toContain(adminToken);
  });

  it('keeps tokens out of library errors it passes through (an admin token Synapse rejects)', async () => {
    const deadAdmin = `syt_deadadmin_${uniqueSuffix()}`;
    const { schema, deps } = await tenantDeps({ synapse: plainClient().withAccessToken(deadAdmin) });
    const stored = `syt_stored_${uniqueSuffix()}`;
    const id = await insertAppUser(db, schema, { slug: 'x', userId: `@x-${uniqueSuffix()}:${synapseEnv().serverName}`, accessToken: stored });

    const error = await ensureCredentials(deps, { schema, appUserKey: id }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    const text = errorText(error);
    expect(text).not.toContain(deadAdmin);
    expect(text).not.toContain(stored);
  });

  it('reports an app user that does not exist', async () => {
    const { schema, deps } = await tenantDeps();

    const error = await ensureCredentials(deps, { schema, appUserKey: 987654 }).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ reason: 'app_user_not_found', schema, appUserKey: '987654' });
  });

  it.each(['abc', '99999999999'])('reports a key the integer key column cannot hold (%s) as an app user that does not exist', async (key) => {
    const { schema, deps } = await tenantDeps();

    const error = await ensureCredentials(deps, { schema, appUserKey: key }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(EnsureCredentialsError);
    expect(error).toMatchObject({ code: 'app_user_not_found', schema, appUserKey: key });
    expect((error as Error).message).toContain('key column');
  });

  it('names a schema the layout does not cover as such', async () => {
    const { deps } = await tenantDeps();

    const error = await ensureCredentials(deps, { schema: `tenant_absent_${uniqueSuffix()}`, appUserKey: 1 }).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'schema_not_in_layout' });
    expect((error as EnsureCredentialsError).nextSteps.join(' ')).toContain('appDatabase.layout.schemas');
  });

  it('asks for the schema when the layout covers several', async () => {
    const { deps } = await tenantDeps();

    const error = await ensureCredentials({ ...deps, layout: { ...deps.layout, schemas: { like: ['tenant_%'], names: ['public'] } } }, { appUserKey: 1 }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toMatchObject({ code: 'schema_required', reason: 'schema_required' });
  });

  it('says what to do instead under delegated auth', async () => {
    const synapse = createSynapseClient({ baseUrl: synapseEnv().delegatedUrl, accessToken: `mat_placeholder_${uniqueSuffix()}` });
    const { schema, deps } = await tenantDeps({ synapse });
    const id = await insertAppUser(db, schema, { slug: 'mas' });

    const error = await ensureCredentials(deps, { schema, appUserKey: id }).catch((caught: unknown) => caught);

    expect(isResetError(error, 'delegated_auth')).toBe(true);
    expect((error as { nextSteps: string[] }).nextSteps.join('\n')).toContain('mas-cli');
  });

  it('joins concurrent calls on one SingleFlight and frees the key after a failure', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const work = async () => {
      runs++;
      await sleep(20);
      return runs;
    };
    expect(await Promise.all([flights.run('a', work), flights.run('a', work), flights.run('b', work)])).toEqual([2, 2, 2]);
    await expect(
      flights.run('a', () => {
        throw new Error('sync failure');
      }),
    ).rejects.toThrow('sync failure');
    expect(flights.size).toBe(0);
    expect(await flights.run('a', work)).toBe(3);
  });
});

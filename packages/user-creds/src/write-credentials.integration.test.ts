import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openmeetLayout, runbookLayout } from './credential-layout.ts';
import { createUserCreds, type UserCreds } from './user-creds.ts';
import { createOpenmeetFixture, createRunbookFixture, testDb, uniqueName } from './test-support/database.ts';

const db = testDb();
afterAll(() => db.destroy());

/** Reads the token, derives the next one (`tok_<n+1>`), compare-and-sets; on conflict re-reads. */
async function increment(creds: UserCreds, schema: string, key: number, times: number): Promise<number> {
  let conflicts = 0;
  for (let done = 0; done < times; ) {
    const current = await creds.read({ schema, key });
    const n = Number((current?.accessToken ?? 'tok_0').slice(4));
    const result = await creds.write({ schema, key, expectedAccessToken: current?.accessToken ?? null, userId: '@u:x', accessToken: `tok_${n + 1}`, deviceId: 'D' });
    if (result.status === 'written') done++;
    else conflicts++;
  }
  return conflicts;
}

describe('writeCredentials (compare-and-set on the old token)', () => {
  it('two concurrent writers lose no update', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 5);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    await creds.write({ schema, key: 5, expectedAccessToken: null, userId: '@u:x', accessToken: 'tok_0', deviceId: 'D' });
    await Promise.all([increment(creds, schema, 5, 40), increment(creds, schema, 5, 40)]);
    expect((await creds.read({ schema, key: 5 }))?.accessToken).toBe('tok_80');
  });

  it('answers conflict when the token changed since it was read', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 3);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    const result = await creds.write({ schema, key: 1, expectedAccessToken: 'syt_stale', userId: '@a:x', accessToken: 'syt_b', deviceId: 'D' });
    expect(result).toEqual({ status: 'conflict' });
    expect((await creds.read({ schema, key: 1 }))?.accessToken).toBe('syt_c4ca4238a0b923820dcc509a6f75849b');
  });

  it('follows a migration that drops a column between two calls (the remembered columns are refreshed on the error)', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 3);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    expect((await creds.read({ schema, key: 1 }))?.deviceId).toBe('DEV1');
    await sql`ALTER TABLE ${sql.id(schema, 'user')} DROP COLUMN matrix_device_id`.execute(db);
    const current = await creds.read({ schema, key: 1 });
    expect(current?.deviceId).toBeNull();
    const result = await creds.write({ schema, key: 1, expectedAccessToken: current?.accessToken ?? null, userId: '@a:x', accessToken: 'syt_after', deviceId: 'D' });
    expect(result).toEqual({ status: 'written' });
    expect(await creds.read({ schema, key: 1 })).toMatchObject({ userId: '@a:x', accessToken: 'syt_after', deviceId: null });
  });

  it('answers not_found for a missing key', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 3);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    expect(await creds.write({ schema, key: 999, expectedAccessToken: null, userId: null, accessToken: 'x', deviceId: null })).toEqual({ status: 'not_found' });
  });

  it('refuses a schema without the token column with column_missing', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 1, rows: 3, dropColumns: ['matrixAccessToken'] });
    const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: [fixture.like] } }), ownSchema: uniqueName('mr') });
    await expect(
      creds.write({ schema: fixture.tenants[0] as string, key: 1, expectedAccessToken: null, userId: null, accessToken: 'x', deviceId: null }),
    ).rejects.toMatchObject({ code: 'column_missing' });
  });

  it('error messages never contain the tokens written', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 1, rows: 3, dropColumns: ['matrixAccessToken'] });
    const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: [fixture.like] } }), ownSchema: uniqueName('mr') });
    const error = await creds
      .write({ schema: fixture.tenants[0] as string, key: 1, expectedAccessToken: 'syt_old_secret', userId: null, accessToken: 'syt_new_secret', deviceId: null })
      .catch((e: unknown) => e as Error);
    expect(String(error) + JSON.stringify(error)).not.toMatch(/syt_(old|new)_secret/);
  });
});

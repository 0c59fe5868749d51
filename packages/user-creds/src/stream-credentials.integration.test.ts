import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openmeetLayout } from './credential-layout.ts';
import { createUserCreds } from './user-creds.ts';
import { migrateOwnSchema } from './own-schema-migrations.ts';
import { createOpenmeetFixture, testDb, uniqueName } from './test-support/database.ts';
import type { StoredCredential } from './stream-credentials.ts';

const db = testDb();
afterAll(() => db.destroy());

describe('streamCredentials', () => {
  it('yields every row holding a credential, schema by schema in key order, across pages', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 2, rows: 23, dropColumns: ['matrixUserId'] });
    const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: [fixture.like] } }), ownSchema: uniqueName('mr') });
    const seen: StoredCredential[] = [];
    for await (const c of creds.stream({ pageSize: 4 })) seen.push(c);
    const [first, second] = fixture.tenants as [string, string];
    const inFirst = seen.filter((c) => c.schema === first);
    // Rows 4, 8, ... hold neither credentials nor the matrix preference (but some of those are NULL preferences).
    const expected = await sql<{ n: string }>`
      SELECT count(*) AS n FROM ${sql.id(first, 'users')} WHERE "matrixAccessToken" IS NOT NULL OR preferences ? 'matrix'`.execute(db);
    expect(inFirst.length).toBe(Number(expected.rows[0]?.n));
    expect(inFirst.map((c) => Number(c.key))).toEqual([...inFirst.map((c) => Number(c.key))].sort((a, b) => a - b));
    expect(inFirst[0]).toMatchObject({ key: '1', userId: '@user1:example.org', deviceId: 'DEV1', localpart: `user1_${first.slice('tenant_'.length)}` });
    expect(seen.filter((c) => c.schema === second).every((c) => c.userId === null)).toBe(true);
  });

  it('includes empty rows on request', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 1, rows: 9 });
    const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: [fixture.like] } }), ownSchema: uniqueName('mr') });
    let n = 0;
    for await (const _ of creds.stream({ pageSize: 2, includeEmpty: true })) n++;
    expect(n).toBe(9);
  });
});

describe('migrateOwnSchema', () => {
  it('is idempotent and safe to run concurrently', async () => {
    const ownSchema = uniqueName('mr');
    await Promise.all([migrateOwnSchema(db, { ownSchema }), migrateOwnSchema(db, { ownSchema })]);
    await migrateOwnSchema(db, { ownSchema });
    const tables = await sql<{ t: string }>`
      SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ${ownSchema} ORDER BY 1`.execute(db);
    expect(tables.rows.map((r) => r.t)).toEqual(['clear_progress', 'kysely_migration', 'kysely_migration_lock', 'snapshot']);
  });
});

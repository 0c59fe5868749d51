import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { defineLayout, openmeetLayout, runbookLayout, type CredentialLayout } from './credential-layout.ts';
import { createUserCreds } from './user-creds.ts';
import { createCustomFixture, createOpenmeetFixture, createRunbookFixture, tableFingerprint, testDb, uniqueName } from './test-support/database.ts';

const db = testDb();
afterAll(() => db.destroy());

interface Case {
  name: string;
  setup(): Promise<{ layout: CredentialLayout; tables: { schema: string; table: string; key: string }[] }>;
}

const cases: Case[] = [
  {
    name: 'runbook',
    async setup() {
      const schema = uniqueName('rb');
      await createRunbookFixture(db, schema, 230);
      return { layout: runbookLayout({ schemas: { names: [schema] } }), tables: [{ schema, table: 'user', key: 'id' }] };
    },
  },
  {
    name: 'openmeet (one tenant without matrixUserId/matrixAccessToken)',
    async setup() {
      const fixture = await createOpenmeetFixture(db, { tenants: 3, rows: 120, dropColumns: ['matrixUserId', 'matrixAccessToken'] });
      return {
        layout: openmeetLayout({ schemas: { like: [fixture.like], names: [fixture.publicSchema] } }),
        tables: [fixture.publicSchema, ...fixture.tenants].map((schema) => ({ schema, table: 'users', key: 'id' })),
      };
    },
  },
  {
    name: 'custom mapping (text key, extra column)',
    async setup() {
      const fixture = await createCustomFixture(db, { orgs: 2, rows: 150 });
      const layout = defineLayout({
        name: 'custom',
        schemas: { like: [fixture.like], names: [] },
        table: 'accounts',
        keyColumn: 'handle',
        columns: { userId: 'mx_user', accessToken: 'mx_token', deviceId: 'mx_device' },
        extraClearColumns: ['mx_sync'],
        relatedRoomColumns: [{ table: 'channels', column: 'mx_room' }],
        localpartTemplate: '{handle}_{schema}',
      });
      return { layout, tables: fixture.schemas.map((schema) => ({ schema, table: 'accounts', key: 'handle' })) };
    },
  },
];

describe.each(cases)('snapshot, clear, restore: $name', ({ setup }) => {
  it('snapshot -> clear -> restore gives back the identical tables', async () => {
    const { layout, tables } = await setup();
    const creds = createUserCreds({ db, layout, ownSchema: uniqueName('mr') });
    const fingerprints = await Promise.all(tables.map((t) => tableFingerprint(db, t.schema, t.table, t.key)));
    const before = await creds.liveChecksums();

    const snapshot = await creds.snapshot({ runId: 'run1' });
    expect(Object.fromEntries(snapshot.schemas.map((s) => [s.schema, s.checksum]))).toEqual(before);

    const cleared = await creds.clear({ runId: 'run1', batchSize: 37 });
    expect(cleared.totalKept).toBe(0);
    expect(cleared.totalCleared).toBe(snapshot.schemas.reduce((n, s) => n + s.rowCount, 0));
    for (const s of await creds.inventory()) expect(s.withCredentials).toBe(0);
    expect(Object.values(await creds.liveChecksums()).every((c) => c === '0:0')).toBe(true);

    const restored = await creds.restore({ runId: 'run1', batchSize: 41 });
    expect(restored.totalSkipped).toBe(0);
    expect(await creds.liveChecksums()).toEqual(before);
    expect(await Promise.all(tables.map((t) => tableFingerprint(db, t.schema, t.table, t.key)))).toEqual(fingerprints);
  });
});

describe('snapshot and clear details', () => {
  it('clears the preferences matrix key and keeps the other preferences', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 1, rows: 12 });
    const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: [fixture.like] } }), ownSchema: uniqueName('mr') });
    await creds.snapshot({ runId: 'r' });
    await creds.clear({ runId: 'r' });
    const rows = await sql<{ preferences: Record<string, unknown> | null }>`
      SELECT preferences FROM ${sql.id(fixture.tenants[0] as string, 'users')} WHERE id = 1`.execute(db);
    expect(rows.rows[0]?.preferences).toEqual({ theme: 'light' });
  });

  it('a second snapshot of the same run keeps the first one', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 20);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    const first = await creds.snapshot({ runId: 'r' });
    const second = await creds.snapshot({ runId: 'r' });
    expect(second.schemas[0]).toMatchObject({ alreadyExisted: true, checksum: first.schemas[0]?.checksum, backupTable: first.schemas[0]?.backupTable });
  });

  it('clear without a snapshot fails with snapshot_not_found', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 5);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    await expect(creds.clear({ runId: 'nothing' })).rejects.toMatchObject({ code: 'snapshot_not_found' });
  });

  it('restore refuses a backup table modified after the snapshot', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 10);
    const ownSchema = uniqueName('mr');
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema });
    const snapshot = await creds.snapshot({ runId: 'r' });
    await sql`UPDATE ${sql.id(ownSchema, snapshot.schemas[0]?.backupTable as string)} SET access_token = 'tampered' WHERE k = 1`.execute(db);
    await expect(creds.restore({ runId: 'r' })).rejects.toMatchObject({ code: 'snapshot_checksum_mismatch' });
  });

  it('clearUsers clears only the chosen users', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 20);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    const result = await creds.clearUsers({ runId: 'some', select: { matrixUserIds: ['@u1:example.org'], keys: [{ schema, key: 2 }] } });
    expect(result.totalCleared).toBe(2);
    expect((await creds.read({ schema, key: 1 }))?.accessToken).toBeNull();
    expect((await creds.read({ schema, key: 2 }))?.userId).toBeNull();
    expect((await creds.read({ schema, key: 3 }))?.accessToken).toBe('syt_eccbc87e4b5ce2fe28308fd9f2a7baf3');
  });

  it('inventory counts rows, rows with credentials, complete, partial and room references', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 35);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    // 35 rows: 7 multiples of 5 hold nothing; multiples of 7 but not 5 (7, 14, 21, 28) hold only a device id.
    expect(await creds.inventory()).toEqual([{ schema, rows: 35, withCredentials: 28, complete: 24, partial: 4, roomReferences: [] }]);
  });
});

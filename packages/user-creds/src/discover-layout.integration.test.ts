import { afterAll, describe, expect, it } from 'vitest';
import { defineLayout, openmeetLayout, runbookLayout } from './credential-layout.ts';
import { discoverLayout } from './discover-layout.ts';
import { createUserCreds } from './user-creds.ts';
import { createCustomFixture, createOpenmeetFixture, createRunbookFixture, testDb, uniqueName } from './test-support/database.ts';

const db = testDb();
afterAll(() => db.destroy());

describe('discoverLayout', () => {
  it('reports a column missing in one tenant schema without failing', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 2, rows: 10, dropColumns: ['matrixUserId', 'matrixAccessToken'] });
    const discovery = await discoverLayout(db, openmeetLayout({ schemas: { like: [fixture.like], names: [fixture.publicSchema] } }));
    expect(discovery.schemas.map((s) => s.schema)).toEqual([fixture.publicSchema, ...fixture.tenants].sort());
    const last = discovery.schemas.find((s) => s.schema === fixture.tenants[1]);
    expect(last?.userId.present).toBe(false);
    expect(last?.accessToken.present).toBe(false);
    expect(last?.deviceId.present).toBe(true);
    expect(last?.problems).toEqual(['column matrixUserId missing', 'column matrixAccessToken missing']);
    expect(last?.usable).toBe(true);
  });

  it('reports row counts, the unique key and related room columns', async () => {
    const fixture = await createOpenmeetFixture(db, { tenants: 1, rows: 25 });
    const discovery = await discoverLayout(db, openmeetLayout({ schemas: { like: [fixture.like] } }));
    const [tenant] = discovery.schemas;
    expect(tenant?.rowCount).toBe(25);
    expect(tenant?.key).toMatchObject({ name: 'id', present: true, unique: true, type: 'integer' });
    expect(tenant?.relatedRoomColumns).toEqual([
      { table: 'events', column: 'matrixRoomId', present: true },
      { table: 'groups', column: 'matrixRoomId', present: true },
    ]);
    expect(tenant?.jsonbKeys[0]).toMatchObject({ name: 'preferences', present: true, type: 'jsonb', key: 'matrix' });
  });

  it('reports a schema without the table as not usable', async () => {
    const schema = uniqueName('empty');
    await db.schema.createSchema(schema).execute();
    const discovery = await discoverLayout(db, runbookLayout({ schemas: { names: [schema] } }));
    expect(discovery.schemas[0]).toMatchObject({ schema, tableFound: false, usable: false, rowCount: undefined });
    expect(discovery.schemas[0]?.problems).toEqual([`table ${schema}.user not found`]);
  });

  it('operations refuse a layout that matches no usable schema, with the findings', async () => {
    const schema = uniqueName('empty');
    await db.schema.createSchema(schema).execute();
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    await expect(creds.snapshot({ runId: 'r1' })).rejects.toMatchObject({ code: 'no_usable_schema' });
  });

  it('reports a key column without a unique index', async () => {
    const fixture = await createCustomFixture(db, { orgs: 1, rows: 3 });
    const layout = defineLayout({
      name: 'custom',
      schemas: { like: [fixture.like] },
      table: 'accounts',
      keyColumn: 'created_at',
      columns: { userId: 'mx_user', accessToken: 'mx_token', deviceId: 'mx_device' },
    });
    const discovery = await discoverLayout(db, layout);
    expect(discovery.schemas[0]?.usable).toBe(false);
    expect(discovery.schemas[0]?.problems).toContain('key column created_at has no single-column unique index');
  });

  it('finds the runbook table and counts its rows', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 12);
    const discovery = await discoverLayout(db, runbookLayout({ schemas: { names: [schema] } }));
    expect(discovery.schemas[0]).toMatchObject({ schema, table: 'user', tableFound: true, usable: true, rowCount: 12, problems: [] });
  });
});

import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { runbookLayout } from './credential-layout.ts';
import { createUserCreds } from './user-creds.ts';
import { createRunbookFixture, testDb, uniqueName } from './test-support/database.ts';

const db = testDb();
const writerDb = testDb();
afterAll(async () => {
  await db.destroy();
  await writerDb.destroy();
});

async function tokenOf(schema: string, id: number): Promise<string | null> {
  const rows = await sql<{ t: string | null }>`SELECT matrix_access_token AS t FROM ${sql.id(schema, 'user')} WHERE id = ${id}`.execute(db);
  return rows.rows[0]?.t ?? null;
}

describe('a write during the batched clear is never lost', () => {
  it('a row rewritten before its batch is kept; a row rewritten after its batch is not reverted by restore', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 100);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    await creds.snapshot({ runId: 'r' });
    const clear = await creds.clear({
      runId: 'r',
      batchSize: 10,
      onProgress: async (p) => {
        if (p.batch !== 2) return;
        // The app re-provisions two users on another connection: id 1 (already cleared) and id 99 (not yet).
        await sql`UPDATE ${sql.id(schema, 'user')} SET matrix_access_token = 'syt_new_1', matrix_user_id = '@u1:new' WHERE id = 1`.execute(writerDb);
        await sql`UPDATE ${sql.id(schema, 'user')} SET matrix_access_token = 'syt_new_99' WHERE id = 99`.execute(writerDb);
      },
    });
    expect(clear.totalKept).toBe(1);
    expect(await tokenOf(schema, 99)).toBe('syt_new_99');
    const restore = await creds.restore({ runId: 'r' });
    expect(restore.totalSkipped).toBe(2);
    expect(await tokenOf(schema, 1)).toBe('syt_new_1');
    expect(await tokenOf(schema, 99)).toBe('syt_new_99');
    expect(await tokenOf(schema, 2)).toBe('syt_c81e728d9d4c2f636f067f89cc14862c');
  });

  it('a writer hammering rows while the clear runs keeps every value it wrote, through clear and restore', async () => {
    const schema = uniqueName('rb');
    await createRunbookFixture(db, schema, 2000);
    const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
    await creds.snapshot({ runId: 'r' });
    const written = new Map<number, string>();
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop || i < 20; i++) {
        const id = 1 + ((i * 7919) % 2000);
        const token = `syt_writer_${i}`;
        await sql`UPDATE ${sql.id(schema, 'user')} SET matrix_access_token = ${token} WHERE id = ${id}`.execute(writerDb);
        written.set(id, token);
      }
    })();
    await creds.clear({ runId: 'r', batchSize: 50 });
    stop = true;
    await writer;
    await creds.restore({ runId: 'r', batchSize: 50 });
    const rows = await sql<{ id: number; t: string | null }>`
      SELECT id, matrix_access_token AS t FROM ${sql.id(schema, 'user')} WHERE id = ANY(${[...written.keys()]}::int[])`.execute(db);
    expect(written.size).toBeGreaterThanOrEqual(20);
    for (const row of rows.rows) expect(row.t).toBe(written.get(row.id));
  });
});

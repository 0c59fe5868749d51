import { afterAll, describe, expect, it } from 'vitest';
import { runbookLayout } from './credential-layout.ts';
import type { ClearProgress } from './clear-credentials.ts';
import { createUserCreds } from './user-creds.ts';
import { createRunbookFixture, testDb, uniqueName } from './test-support/database.ts';

const db = testDb();
afterAll(() => db.destroy());

async function setup(rows: number) {
  const schema = uniqueName('rb');
  await createRunbookFixture(db, schema, rows);
  const creds = createUserCreds({ db, layout: runbookLayout({ schemas: { names: [schema] } }), ownSchema: uniqueName('mr') });
  const snapshot = await creds.snapshot({ runId: 'r' });
  return { schema, creds, inSnapshot: snapshot.schemas[0]?.rowCount ?? 0 };
}

describe('clear resumes after an interruption', () => {
  it('continues from the last finished batch after a crash in the progress callback', async () => {
    const { creds, inSnapshot } = await setup(100);
    const first: ClearProgress[] = [];
    await expect(
      creds.clear({
        runId: 'r',
        batchSize: 10,
        onProgress: (p) => {
          first.push(p);
          if (p.batch === 3) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(first.map((p) => p.batch)).toEqual([1, 2, 3]);
    const clearedBefore = 30;
    expect((await creds.inventory())[0]?.withCredentials).toBe(inSnapshot - clearedBefore);

    const second: ClearProgress[] = [];
    const result = await creds.clear({ runId: 'r', batchSize: 10, onProgress: (p) => void second.push(p) });
    expect(second[0]?.batch).toBe(4);
    expect(result.schemas[0]).toMatchObject({ resumedAfterBatch: 3, cleared: inSnapshot, kept: 0 });
    expect(second.reduce((n, p) => n + p.rowsInBatch, 0)).toBe(inSnapshot - clearedBefore);
    expect((await creds.inventory())[0]?.withCredentials).toBe(0);
  });

  it('stops between batches when the signal is aborted, and resumes later', async () => {
    const { creds, inSnapshot } = await setup(60);
    const controller = new AbortController();
    const attempt = creds.clear({ runId: 'r', batchSize: 8, signal: controller.signal, onProgress: (p) => (p.batch === 2 ? controller.abort() : undefined) });
    await expect(attempt).rejects.toMatchObject({ code: 'interrupted' });
    const result = await creds.clear({ runId: 'r', batchSize: 8 });
    expect(result.schemas[0]).toMatchObject({ resumedAfterBatch: 2, cleared: inSnapshot });
  });

  it('a finished clear run again does nothing', async () => {
    const { creds, inSnapshot } = await setup(30);
    await creds.clear({ runId: 'r', batchSize: 7 });
    const again = await creds.clear({ runId: 'r', batchSize: 7 });
    expect(again.schemas[0]).toMatchObject({ cleared: inSnapshot, batches: Math.ceil(inSnapshot / 7) });
    expect(again.longestBatchMs).toBe(0);
  });

  it('reports each batch transaction duration and respects the batch size', async () => {
    const { creds, inSnapshot } = await setup(50);
    const seen: ClearProgress[] = [];
    await creds.clear({ runId: 'r', batchSize: 9, onProgress: (p) => void seen.push(p) });
    expect(seen.every((p) => p.rowsInBatch <= 9 && p.durationMs > 0)).toBe(true);
    expect(seen.at(-1)?.totalCleared).toBe(inSnapshot);
  });
});

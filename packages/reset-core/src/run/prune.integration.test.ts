import { sql } from 'kysely';
import { createUserCreds, DEFAULT_OWN_SCHEMA } from '@matrix-reset/user-creds';
import { describe, expect, it } from 'vitest';
import { applyPlan } from './apply.ts';
import { pruneBackups } from './prune.ts';
import { planFor, withSandbox } from '../test-support/plan-sandbox.ts';

const yes = async () => undefined;
const DAY = 24 * 3600_000;

describe('pruneBackups', () => {
  it("drops the credential snapshots of runs older than the age, after a confirmation, and keeps a newer run's", async () => {
    await withSandbox(async (sandbox, connection) => {
      const creds = createUserCreds({ db: connection.db, layout: connection.environment.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA });
      const { run: old } = await applyPlan(await planFor(connection), connection, { confirm: yes });
      // A token dies again, so that the second run has something to repair and a snapshot of its own.
      await sql`UPDATE ${sql.id(sandbox.schema, 'users')} SET "matrixAccessToken" = 'syt_dead_again' WHERE slug = 'valid'`.execute(connection.db);
      const { run: recent } = await applyPlan(await planFor(connection), connection, { confirm: yes });
      // The first run began 40 days ago, as far as the journal knows.
      await sql`UPDATE matrix_reset.run SET created_at = now() - interval '40 days' WHERE id = ${old.id}`.execute(connection.db);
      expect((await creds.listSnapshots(old.id)).map((s) => s.schema)).toEqual([sandbox.schema]);
      const recentSnapshots = (await creds.listSnapshots(recent.id)).length;
      expect(recentSnapshots).toBe(1);

      const preview = await pruneBackups(connection, { olderThanMs: 30 * DAY, dryRun: true });
      expect(preview).toMatchObject({ environment: connection.environment.name, dryRun: true, skipped: [] });
      expect(preview.pruned).toEqual([{ runId: old.id, createdAt: expect.any(Date), state: 'finished', databaseBackup: undefined, databaseDump: undefined, credentialSnapshots: [{ schema: sandbox.schema, rows: expect.any(Number) }] }]);
      expect(await creds.listSnapshots(old.id)).toHaveLength(1);

      await expect(pruneBackups(connection, { olderThanMs: 30 * DAY })).rejects.toMatchObject({ code: 'confirmation_required' });
      const summaries: string[] = [];
      const done = await pruneBackups(connection, { olderThanMs: 30 * DAY, confirm: async ({ summary }) => void summaries.push(summary) });
      expect(done.pruned.map((p) => p.runId)).toEqual([old.id]);
      expect(summaries).toEqual([expect.stringMatching(/^drop the backups of 1 run of \S+ older than \d{4}-/)]);
      expect(await creds.listSnapshots(old.id)).toEqual([]);
      expect(await creds.listSnapshots(recent.id)).toHaveLength(recentSnapshots);

      // Nothing left to prune: no confirmation asked.
      const again = await pruneBackups(connection, { olderThanMs: 30 * DAY, confirm: async () => { throw new Error('asked again'); } });
      expect(again.pruned).toEqual([]);
    });
  });

  it('leaves a run that is still running alone, saying why', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const { run } = await applyPlan(await planFor(connection), connection, { confirm: yes });
      await sql`UPDATE matrix_reset.run SET created_at = now() - interval '40 days', state = 'running' WHERE id = ${run.id}`.execute(connection.db);
      const preview = await pruneBackups(connection, { olderThanMs: 30 * DAY, dryRun: true });
      expect(preview.pruned).toEqual([]);
      expect(preview.skipped).toEqual([{ runId: run.id, reason: 'still running (resume or roll it back first)' }]);
    });
  });
});

import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { planChecksum } from '../plan/plan-freeze.ts';
import { openPlanStore } from './plan-store.ts';
import { isResetError } from '../reset-error.ts';
import { ensureTestDb } from '../test-support/ensure-fixtures.ts';
import { planFor, withSandbox } from '../test-support/plan-sandbox.ts';

describe('plan store in our own schema', () => {
  it('keeps a plan that another process reads back identical, with its checksum and who made it', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const plan = await planFor(connection);
      const stored = await (await openPlanStore(connection.db)).save(plan, { createdBy: 'ops-token' });
      expect(stored.checksum).toBe(planChecksum(plan));

      const other = ensureTestDb(2);
      try {
        const read = await (await openPlanStore(other)).get(plan.id);
        expect(read?.plan).toEqual(plan);
        expect(read?.checksum).toBe(planChecksum(plan));
        expect(read?.createdBy).toBe('ops-token');
        expect(Object.isFrozen(read?.plan)).toBe(true);
      } finally {
        await other.destroy();
      }
    });
  });

  it('answers undefined for an unknown plan id', async () => {
    const db = ensureTestDb(2);
    try {
      expect(await (await openPlanStore(db)).get('p20000101t000000_dead')).toBeUndefined();
    } finally {
      await db.destroy();
    }
  });

  it('refuses a plan whose stored body was edited in the database (stale_plan)', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const plans = await openPlanStore(connection.db);
      const plan = await planFor(connection);
      await plans.save(plan, { createdBy: 'ops-token' });
      await sql`UPDATE matrix_reset.plan SET body = jsonb_set(body, '{mode}', '"full-reset"') WHERE id = ${plan.id}`.execute(connection.db);
      const error = await plans.get(plan.id).catch((e: unknown) => e);
      expect(isResetError(error, 'stale_plan')).toBe(true);
    });
  });

  it('stores no token, admin token or shared secret', async () => {
    await withSandbox(async (sandbox, connection) => {
      const plan = await planFor(connection);
      await (await openPlanStore(connection.db)).save(plan, { createdBy: 'ops-token' });
      const row = await sql<{ t: string }>`SELECT row_to_json(p)::text AS t FROM matrix_reset.plan p WHERE id = ${plan.id}`.execute(connection.db);
      const text = row.rows[0]?.t ?? '';
      expect(text).toContain(plan.id);
      for (const secret of sandbox.secrets) expect(text).not.toContain(secret);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { doctor } from '../doctor/doctor.ts';
import { planEnvironment } from '../plan/plan-build.ts';
import { adminClient, insertAppUser, registerMatrixUser, storedRow } from '../test-support/ensure-fixtures.ts';
import { withSandbox, type RepairSandbox } from '../test-support/plan-sandbox.ts';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import { applyPlan } from './apply.ts';
import { rollbackRun } from './rollback.ts';

const yes = async () => undefined;

/** The repair sandbox (one valid, one logged-out, one vanished user) plus a row naming a deactivated Matrix user. */
async function withDeactivatedRow<T>(fn: (sandbox: RepairSandbox, connection: EnvironmentConnection, key: number) => Promise<T>): Promise<T> {
  return withSandbox(async (sandbox, connection) => {
    const user = await registerMatrixUser();
    const admin = (await adminClient()).client;
    await admin.admin.deactivateUser(user.userId, { erase: false });
    const key = await insertAppUser(connection.db, sandbox.schema, { slug: 'left', userId: user.userId, accessToken: user.accessToken, deviceId: 'DEVD' });
    return fn(sandbox, connection, key);
  });
}

describe('rows naming deactivated Matrix users', () => {
  it('are counted apart by doctor, left alone by a repair that finishes, and no longer recommend a repair afterwards', async () => {
    await withDeactivatedRow(async (sandbox, connection, key) => {
      const before = await doctor(connection.environment, connection);
      expect(before.totals.deactivated).toBe(1);
      expect(before.recommendation).toMatchObject({ action: 'repair', evidence: { broken: 2, deactivated: 1 } });

      const { plan } = await planEnvironment(connection.environment, connection);
      expect(plan.steps.map((s) => s.kind)).not.toContain('clear-deactivated-users');
      expect(plan.warnings.join(' ')).toContain('--clear-deactivated');
      const { run } = await applyPlan(plan, connection, { confirm: yes });

      expect(run.state).toBe('finished');
      const after = await doctor(connection.environment, connection);
      expect(after.recommendation.action).toBe('nothing');
      expect(after.recommendation.reason).toContain('deactivated');
      expect(after.totals.deactivated).toBe(1);
      expect((await storedRow(connection.db, sandbox.schema, key)).accessToken).not.toBeNull();
      // Nothing left a repair would change: the next plan is empty, so a pipeline repairing on drift stops.
      expect((await planEnvironment(connection.environment, connection)).plan.steps).toEqual([]);
    });
  });

  it('are cleared on request (clearDeactivated), verified gone, and restored by a rollback', async () => {
    await withDeactivatedRow(async (sandbox, connection, key) => {
      const stored = await storedRow(connection.db, sandbox.schema, key);
      const { plan } = await planEnvironment(connection.environment, connection, { clearDeactivated: true });
      expect(plan.steps.map((s) => s.kind)).toEqual(['snapshot-credentials', 'reprovision-existing-users', 'clear-missing-users', 'clear-deactivated-users', 'verify']);

      const { run, steps } = await applyPlan(plan, connection, { confirm: yes });

      expect(run.state).toBe('finished');
      expect(steps.find((s) => s.kind === 'clear-deactivated-users')?.detail).toMatchObject({ deactivatedUsers: 1, cleared: 1 });
      expect(await storedRow(connection.db, sandbox.schema, key)).toMatchObject({ userId: null, accessToken: null, deviceId: null });
      expect((await doctor(connection.environment, connection)).totals.deactivated).toBe(0);

      await rollbackRun(run.id, connection, { confirm: yes });
      expect(await storedRow(connection.db, sandbox.schema, key)).toMatchObject({ userId: stored.userId, accessToken: stored.accessToken, deviceId: 'DEVD' });
    });
  });
});

import { sql } from 'kysely';
import { createUserCreds, newRunId } from '@matrix-reset/user-creds';
import { describe, expect, it } from 'vitest';
import { applyPlan } from './apply.ts';
import { openJournal } from '../journal/run-journal.ts';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import { planChecksum } from '../plan/plan-freeze.ts';
import { isResetError } from '../reset-error.ts';
import { openRollbackJournal } from '../journal/rollback-journal.ts';
import { rollbackRun } from './rollback.ts';
import { storedRow } from '../test-support/ensure-fixtures.ts';
import { planFor, withSandbox, type RepairSandbox } from '../test-support/plan-sandbox.ts';

const yes = async () => undefined;


function liveChecksums(connection: EnvironmentConnection): Promise<Record<string, string>> {
  return createUserCreds({ db: connection.db, layout: connection.environment.appDatabase.layout }).liveChecksums();
}

async function applyRepair(sandbox: RepairSandbox, connection: EnvironmentConnection) {
  const { run } = await applyPlan(await planFor(connection), connection, { confirm: yes });
  expect(run.state).toBe('finished');
  return run.id;
}

describe('rollback of a repair run against the sandbox Synapse and Postgres', () => {
  it('puts every row back to its pre-apply state: the credentials checksum equals the one before the apply', async () => {
    await withSandbox(async (sandbox, connection) => {
      const before = await liveChecksums(connection);
      const runId = await applyRepair(sandbox, connection);
      expect(await liveChecksums(connection)).not.toEqual(before);

      const result = await rollbackRun(runId, connection, { confirm: yes });

      expect(result.state).toBe('rolled-back');
      expect(await liveChecksums(connection)).toEqual(before);
      expect(result.steps.map((s) => [s.kind, s.outcome])).toEqual([
        ['verify', 'nothing-to-undo'],
        ['clear-missing-users', 'undone'],
        ['reprovision-existing-users', 'undone'],
        ['snapshot-credentials', 'nothing-to-undo'],
      ]);
      expect(result.cannotUndo.join('\n')).toContain('stay valid on Synapse until they expire');
    });
  });

  it('keeps rows the app wrote after the repair, and restores the others', async () => {
    await withSandbox(async (sandbox, connection) => {
      const original = { valid: await storedRow(connection.db, sandbox.schema, sandbox.keys.valid), killed: await storedRow(connection.db, sandbox.schema, sandbox.keys.killed) };
      const gone = await storedRow(connection.db, sandbox.schema, sandbox.keys.gone);
      const runId = await applyRepair(sandbox, connection);
      // The app re-provisions the killed user itself after the repair.
      await sql`UPDATE ${sql.id(sandbox.schema, 'users')} SET "matrixAccessToken" = 'syt_app_wrote_this', "matrixDeviceId" = 'APPDEV' WHERE id = ${sandbox.keys.killed}`.execute(connection.db);

      const result = await rollbackRun(runId, connection, { confirm: yes });

      expect(await storedRow(connection.db, sandbox.schema, sandbox.keys.killed)).toEqual({ userId: original.killed.userId, accessToken: 'syt_app_wrote_this', deviceId: 'APPDEV' });
      expect(await storedRow(connection.db, sandbox.schema, sandbox.keys.gone)).toEqual(gone);
      expect(await storedRow(connection.db, sandbox.schema, sandbox.keys.valid)).toEqual(original.valid);
      expect(result.steps.find((s) => s.kind === 'reprovision-existing-users')?.detail).toMatchObject({ reverted: 0, keptChanged: 1 });
    });
  });

  it('changes nothing when rolled back a second time', async () => {
    await withSandbox(async (sandbox, connection) => {
      const runId = await applyRepair(sandbox, connection);
      await rollbackRun(runId, connection, { confirm: yes });
      const afterFirst = await liveChecksums(connection);
      const journaled = await (await openRollbackJournal(connection.db)).steps(runId);

      const second = await rollbackRun(runId, connection, { confirm: yes });

      expect(second.alreadyRolledBack).toBe(true);
      expect(await liveChecksums(connection)).toEqual(afterFirst);
      expect(await (await openRollbackJournal(connection.db)).steps(runId)).toEqual(journaled);
    });
  });

  it('says there is nothing to undo for a run that never started a step, and writes no rollback', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const plan = await planFor(connection);
      const runId = newRunId();
      await (await openJournal(connection.db)).createRun({ runId, plan, planChecksum: planChecksum(plan), holder: 'test' });

      const result = await rollbackRun(runId, connection, { confirm: yes });

      expect(result.state).toBe('nothing-to-undo');
      expect(result.steps).toEqual([]);
      expect(await (await openRollbackJournal(connection.db)).get(runId)).toBeUndefined();
    });
  });

  it('undoes only the steps a crashed run started', async () => {
    await withSandbox(async (sandbox, connection) => {
      const before = await liveChecksums(connection);
      const crashed = await applyPlan(await planFor(connection), connection, {
        confirm: yes,
        onStep: async (event) => {
          if (event.phase === 'after' && event.position === 1) throw new Error('injected crash');
        },
      }).catch((caught: unknown) => caught);
      expect((crashed as Error).message).toBe('injected crash');
      const [run] = await (await openJournal(connection.db)).listRuns({ environment: connection.environment.name });

      const result = await rollbackRun(run!.id, connection, { confirm: yes });

      expect(result.steps.map((s) => s.kind)).toEqual(['reprovision-existing-users', 'snapshot-credentials']);
      expect(await liveChecksums(connection)).toEqual(before);
    });
  });

  it('dry run lists what would be undone and changes nothing; without a confirmation nothing is written', async () => {
    await withSandbox(async (sandbox, connection) => {
      const runId = await applyRepair(sandbox, connection);
      const after = await liveChecksums(connection);

      const preview = await rollbackRun(runId, connection, { dryRun: true });
      const refused = await rollbackRun(runId, connection).catch((caught: unknown) => caught);

      expect(preview.state).toBe('dry-run');
      expect(preview.steps.filter((s) => s.outcome === 'would-undo').map((s) => s.kind)).toEqual(['clear-missing-users', 'reprovision-existing-users']);
      expect(isResetError(refused, 'confirmation_required')).toBe(true);
      expect(await liveChecksums(connection)).toEqual(after);
      expect(await (await openRollbackJournal(connection.db)).get(runId)).toBeUndefined();
    });
  });

  it('puts no token in its result or its journal', async () => {
    await withSandbox(async (sandbox, connection) => {
      const runId = await applyRepair(sandbox, connection);
      const minted = (await storedRow(connection.db, sandbox.schema, sandbox.keys.killed)).accessToken ?? 'none';
      const preview = await rollbackRun(runId, connection, { dryRun: true });
      const result = await rollbackRun(runId, connection, { confirm: yes });
      const journal = await sql<{ t: string }>`
        SELECT coalesce((SELECT string_agg(row_to_json(s)::text, '') FROM matrix_reset.rollback_step s WHERE run_id = ${runId}), '') ||
               coalesce((SELECT string_agg(row_to_json(w)::text, '') FROM matrix_reset.repair_write w WHERE run_id = ${runId}), '') AS t`.execute(connection.db);
      for (const text of [JSON.stringify(preview), JSON.stringify(result), journal.rows[0]?.t ?? '']) {
        for (const secret of [...sandbox.secrets, minted]) expect(text).not.toContain(secret);
      }
    });
  });
});

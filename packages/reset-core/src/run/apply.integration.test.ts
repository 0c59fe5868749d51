import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyPlan } from './apply.ts';
import type { RunConnection } from '../steps/step-definition.ts';
import { resumeRun } from './resume.ts';
import { runStatus } from './status.ts';
import { doctor } from '../doctor/doctor.ts';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import { readPlanFile, writePlanFile } from '../plan/plan-file.ts';
import { isResetError } from '../reset-error.ts';
import { plainClient, storedRow } from '../test-support/ensure-fixtures.ts';
import { planFor, withSandbox, type RepairSandbox } from '../test-support/plan-sandbox.ts';

const yes = async () => undefined;


/** The end state of a repaired tenant, with tokens replaced by whether Synapse accepts them for the row's user. */
async function endState(sandbox: RepairSandbox, connection: EnvironmentConnection) {
  const rows: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(sandbox.keys)) {
    const row = await storedRow(connection.db, sandbox.schema, key);
    let works = false;
    if (row.accessToken !== null) works = await plainClient().withAccessToken(row.accessToken).whoami().then((me) => me.userId === row.userId, () => false);
    rows[name] = { userId: row.userId, hasToken: row.accessToken !== null, tokenWorks: works };
  }
  return rows;
}

describe('plan and apply a repair against the sandbox Synapse and Postgres', () => {
  it('doctor says repair, the plan applies, and afterwards doctor says nothing', async () => {
    await withSandbox(async (sandbox, connection) => {
      expect((await doctor(connection.environment, connection)).recommendation.action).toBe('repair');
      const plan = await planFor(connection);
      expect(plan.mode).toBe('repair');
      expect(plan.steps.map((s) => s.kind)).toEqual(['snapshot-credentials', 'reprovision-existing-users', 'clear-missing-users', 'verify']);

      const { run, steps } = await applyPlan(plan, connection, { confirm: yes });

      expect(run.state).toBe('finished');
      expect(steps.map((s) => s.state)).toEqual(['finished', 'finished', 'finished', 'finished']);
      expect((await doctor(connection.environment, connection)).recommendation.action).toBe('nothing');
      expect(await endState(sandbox, connection)).toEqual({
        valid: { userId: sandbox.userIds.valid, hasToken: true, tokenWorks: true },
        killed: { userId: sandbox.userIds.killed, hasToken: true, tokenWorks: true },
        gone: { userId: null, hasToken: false, tokenWorks: false },
      });
      // The valid token was kept as it was.
      expect((await storedRow(connection.db, sandbox.schema, sandbox.keys.valid)).accessToken).toBe(sandbox.secrets[1]);
    });
  });

  it('writes a plan file and a journal that hold no token and no shared secret', async () => {
    await withSandbox(async (sandbox, connection) => {
      const plan = await planFor(connection);
      const path = join(await mkdtemp(join(tmpdir(), 'plan-file-')), 'sbx.plan.json');
      await writePlanFile(path, plan);
      const { run } = await applyPlan(await readPlanFile(path), connection, { confirm: yes });

      const journal = await sql<{ t: string }>`
        SELECT (SELECT row_to_json(r)::text FROM matrix_reset.run r WHERE id = ${run.id}) ||
               (SELECT coalesce(string_agg(row_to_json(s)::text, ''), '') FROM matrix_reset.run_step s WHERE run_id = ${run.id}) AS t`.execute(connection.db);
      const texts = [await readFile(path, 'utf8'), journal.rows[0]?.t ?? ''];
      const minted = (await storedRow(connection.db, sandbox.schema, sandbox.keys.killed)).accessToken ?? 'none';
      for (const secret of [...sandbox.secrets, minted]) for (const text of texts) expect(text).not.toContain(secret);
    });
  });

  it('resumes a run that crashed between steps, and one that died inside a step, to the same end state as an uninterrupted run', async () => {
    const uninterrupted = await withSandbox(async (sandbox, connection) => {
      await applyPlan(await planFor(connection), connection, { confirm: yes });
      return endState(sandbox, connection);
    });
    for (const crash of [{ phase: 'after', position: 1 }, { phase: 'before', position: 2 }] as const) {
      await withSandbox(async (sandbox, connection) => {
        let crashed = false;
        const error = await applyPlan(await planFor(connection), connection, {
          confirm: yes,
          onStep: (event) => {
            if (!crashed && event.phase === crash.phase && event.position === crash.position) {
              crashed = true;
              throw new Error('injected crash');
            }
          },
        }).catch((caught: unknown) => caught);
        expect((error as Error).message).toBe('injected crash');
        const [stopped] = await runStatus(connection.db, { environment: connection.environment.name });
        expect(stopped?.run.state).toBe('running');
        expect(stopped?.steps.at(-1)?.state).toBe(crash.phase === 'after' ? 'finished' : 'started');

        const { run, steps } = await resumeRun(stopped!.run.id, connection);

        expect(run.state).toBe('finished');
        expect(steps.every((s) => s.state === 'finished')).toBe(true);
        expect(steps.find((s) => s.position === crash.position)?.attempts).toBe(crash.phase === 'after' ? 1 : 2);
        expect(await endState(sandbox, connection)).toEqual({
          ...uninterrupted,
          valid: { ...(uninterrupted['valid'] as object), userId: sandbox.userIds.valid },
          killed: { ...(uninterrupted['killed'] as object), userId: sandbox.userIds.killed },
        });
        expect((await doctor(connection.environment, connection)).recommendation.action).toBe('nothing');
      });
    }
  });

  it('refuses a stale plan, listing what changed, and writes nothing', async () => {
    await withSandbox(async (sandbox, connection) => {
      const plan = await planFor(connection);
      await sql`UPDATE ${sql.id(sandbox.schema, 'users')} SET "matrixDeviceId" = 'CHANGED' WHERE id = ${sandbox.keys.valid}`.execute(connection.db);
      const before = await storedRow(connection.db, sandbox.schema, sandbox.keys.killed);

      const error = await applyPlan(plan, connection, { confirm: yes }).catch((caught: unknown) => caught);

      expect(isResetError(error, 'stale_plan')).toBe(true);
      expect((error as Error).message).toContain(`appDatabase.schemas[${sandbox.schema}].checksum`);
      expect(await storedRow(connection.db, sandbox.schema, sandbox.keys.killed)).toEqual(before);
      expect(await runStatus(connection.db, { environment: connection.environment.name })).toEqual([]);
    });
  });

  it('refuses to apply without a confirmation', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const error = await applyPlan(await planFor(connection), connection).catch((caught: unknown) => caught);
      expect(isResetError(error, 'confirmation_required')).toBe(true);
    });
  });

  it('lets one of two concurrent applies run and refuses the other with locked, naming the holder', async () => {
    await withSandbox(async (sandbox, connection) => {
      const second = await sandbox.connect();
      try {
        const plan = await planFor(connection);
        let entered!: () => void;
        let release!: () => void;
        const inside = new Promise<void>((resolve) => (entered = resolve));
        const gate = new Promise<void>((resolve) => (release = resolve));
        const first = applyPlan(plan, connection, {
          confirm: yes,
          holder: 'apply A',
          onStep: async (event) => {
            if (event.position === 0 && event.phase === 'before') {
              entered();
              await gate;
            }
          },
        });
        await inside;

        const refused = await applyPlan(plan, second as RunConnection, { confirm: yes, holder: 'apply B' }).catch((caught: unknown) => caught);
        release();
        const { run } = await first;

        expect(isResetError(refused, 'locked')).toBe(true);
        expect((refused as Error).message).toContain('apply A');
        expect(run.state).toBe('finished');
      } finally {
        await second.close();
      }
    });
  });

  it('keeps a finished run finished when it is resumed again', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const { run } = await applyPlan(await planFor(connection), connection, { confirm: yes });
      const again = await resumeRun(run.id, connection);
      expect(again.run.state).toBe('finished');
      expect(again.steps.every((s) => s.attempts === 1)).toBe(true);
    });
  });
});

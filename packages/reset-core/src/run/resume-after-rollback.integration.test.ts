import { describe, expect, it } from 'vitest';
import { applyPlan } from './apply.ts';
import { resumeRun } from './resume.ts';
import { runStatus } from './status.ts';
import { isResetError } from '../reset-error.ts';
import { rollbackRun } from './rollback.ts';
import { planFor, withSandbox } from '../test-support/plan-sandbox.ts';

const yes = async () => undefined;

describe('a rolled-back repair run against the sandbox Synapse and Postgres', () => {
  it('is refused by resumeRun with rolled_back and a next step to make a new plan', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const { run } = await applyPlan(await planFor(connection), connection, { confirm: yes });
      await rollbackRun(run.id, connection, { confirm: yes });

      const refused = await resumeRun(run.id, connection).catch((caught: unknown) => caught);

      expect(isResetError(refused, 'rolled_back')).toBe(true);
      expect((refused as Error).message).toContain('was rolled back');
      expect(isResetError(refused) && refused.nextSteps.join('\n')).toContain('matrix-reset plan');
    });
  });

  it('shows its rollback in runStatus, and a run never rolled back shows none', async () => {
    await withSandbox(async (_sandbox, connection) => {
      const { run } = await applyPlan(await planFor(connection), connection, { confirm: yes });
      const [before] = await runStatus(connection.db, { runId: run.id });
      await rollbackRun(run.id, connection, { confirm: yes });

      const [after] = await runStatus(connection.db, { runId: run.id });

      expect(before?.rollback).toBeUndefined();
      expect(after?.rollback?.state).toBe('rolled-back');
      expect(after?.run.state).toBe('finished');
    });
  });
});

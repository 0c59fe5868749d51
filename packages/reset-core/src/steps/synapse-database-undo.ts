import { scaleDown } from './scale-down.ts';
import { scaleUp } from './scale-up.ts';
import type { StepContext, UndoContext } from './step-definition.ts';

/*
 * What the undo of a database backup step runs around its swap or restore: Synapse stopped first and started last,
 * by the plan's own scale-down and scale-up steps.
 */

/** A step context for running one of the plan's own steps (scale-down, scale-up) inside an undo. */
export function undoStepContext(context: UndoContext, kind?: 'scale-down' | 'scale-up'): StepContext {
  const step = (kind === undefined ? undefined : context.plan.steps.find((s) => s.kind === kind)) ?? context.step;
  return { runId: context.runId, plan: context.plan, step, connection: context.connection, concurrency: 1, batchSize: undefined, onProgress: undefined };
}

/** Runs the plan's scale-down or scale-up step as it is written (every Synapse workload, to its planned replicas). */
export async function runPlanStep(context: UndoContext, kind: 'scale-down' | 'scale-up'): Promise<void> {
  const planned = context.plan.steps.find((s) => s.kind === kind);
  if (planned === undefined) throw new Error(`plan invariant: a database reset plan has a ${kind} step`);
  await (kind === 'scale-down' ? scaleDown : scaleUp).execute(undoStepContext(context, kind));
}

import type { DriftService } from '../drift-cache.ts';
import { toApiError } from '../http-errors.ts';
import type { RunControl } from '../runs/run-control.ts';
import type { CurrentRunView, DriftView, StepView } from './render-status-page.ts';

/** How long the page waits for a doctor run before showing that it is still computing. */
const DRIFT_WAIT_MS = 10_000;

/** The drift summary as the page shows it: the cached doctor's, or why there is none yet (waits at most 10 s). */
export async function driftView(drift: DriftService): Promise<DriftView> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const snapshot = await Promise.race([
      drift.get(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), DRIFT_WAIT_MS);
      }),
    ]);
    if (snapshot === undefined) return { ok: false, message: 'the doctor is still checking the stored credentials; reload in a moment' };
    const { summary } = snapshot;
    return {
      ok: true,
      action: summary.recommendation.action,
      reason: summary.recommendation.reason,
      adminToken: summary.adminToken,
      population: summary.population,
      examined: summary.examined,
      totals: summary.totals,
      generatedAt: snapshot.generatedAt,
      ageSeconds: snapshot.ageSeconds,
    };
  } catch (error) {
    // As the JSON routes would answer it: a driver's or a library's text may name an internal host and port.
    return { ok: false, message: toApiError(error).message };
  } finally {
    clearTimeout(timer);
  }
}

function failureText(detail: unknown): string | undefined {
  if (detail === null || typeof detail !== 'object') return undefined;
  const { code, message } = detail as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' ? `${code}: ${message}` : undefined;
}

/** A run as the page shows it: its plan's steps with what the journal says of each, and its rollback's. */
export async function currentRun(control: RunControl, runId: string): Promise<CurrentRunView> {
  const status = await control.getRun(runId);
  const { run, steps, rollback } = status;
  const journaled = new Map(steps.map((s) => [s.stepId, s]));
  const plan = await control.runPlan(runId).catch(() => undefined);
  const planSteps = plan?.steps ?? steps.map((s) => ({ id: s.stepId, kind: s.kind as string, description: s.kind as string }));
  const descriptions = new Map(planSteps.map((s) => [s.id, s.description]));
  const stepViews: StepView[] = planSteps.map((s) => {
    const ran = journaled.get(s.id);
    return { stepId: s.id, kind: s.kind, description: s.description, state: ran?.state ?? 'pending', error: ran?.state === 'failed' ? failureText(ran.detail) : undefined };
  });
  const rollbackSteps: StepView[] =
    rollback === undefined
      ? []
      : (await control.rollbackSteps(runId)).map((s) => ({
          stepId: s.stepId,
          kind: s.kind,
          description: `undo: ${descriptions.get(s.stepId) ?? s.kind}`,
          state: s.state,
          error: s.state === 'failed' ? failureText(s.detail) : undefined,
        }));
  return {
    id: run.id,
    mode: run.mode,
    state: run.state,
    rollback: rollback?.state,
    createdAt: run.createdAt.toISOString(),
    holder: run.holder,
    steps: stepViews,
    rollbackSteps,
    error: run.error === undefined ? undefined : `${run.error.code}: ${run.error.message}`,
    live: run.state === 'running' || rollback?.state === 'running',
  };
}

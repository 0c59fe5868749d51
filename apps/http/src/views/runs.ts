import type { z } from '@hono/zod-openapi';
import type { DoctorReport, JournalRollbackStep, RunStatus, StoredPlan } from '@matrix-reset/reset-core';
import type { planSchema, runSchema } from '../schemas/runs.ts';

/** The links of a run: itself, its events and its rollback. */
export function runLinks(id: string) {
  return { self: `/v1/runs/${id}`, events: `/v1/runs/${id}/events`, rollback: `/v1/runs/${id}/rollback` };
}

/** A stored plan as the API shows it: steps and a summary of what it observed (versions and counts). */
export function planView(stored: StoredPlan, report?: DoctorReport): z.infer<typeof planSchema> {
  const { plan } = stored;
  const k = plan.observed.kubernetes;
  return {
    planId: plan.id,
    environment: plan.environment,
    mode: plan.mode,
    reason: plan.reason,
    warnings: [...plan.warnings],
    checksum: stored.checksum,
    createdAt: plan.createdAt,
    createdBy: stored.createdBy,
    steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, description: s.description, undoable: s.undoable, ...(s.undo === undefined ? {} : { undo: s.undo }) })),
    observed: {
      synapse: { ...plan.observed.synapse },
      // The fields the API documents: not a Postgres-backed Synapse's database details (its address, roles, databases).
      storage: { engine: plan.observed.storage.engine, pvcDeletionWipesUsers: plan.observed.storage.pvcDeletionWipesUsers },
      kubernetes:
        k === undefined
          ? null
          : {
              namespace: k.namespace,
              workload: { kind: k.workload.kind, name: k.workload.name },
              ...(k.workload.kind === 'StatefulSet' ? { statefulSet: k.workload.name } : {}),
              replicas: k.workload.replicas,
              workers: k.workers.map((w) => ({ kind: w.kind, name: w.name, replicas: w.replicas })),
              pvc: k.pvc.name ?? null,
              pvcExists: k.pvc.exists,
              volumeSnapshotsSupported: k.volumeSnapshotsSupported,
            },
      secretTargets: plan.observed.secrets.length,
      appDatabase: { layout: plan.observed.appDatabase.layout, schemas: plan.observed.appDatabase.schemas.map((s) => ({ schema: s.schema, rows: s.rows, withCredentials: s.withCredentials })) },
    },
    ...(report === undefined ? {} : { doctor: { action: report.recommendation.action, reason: report.recommendation.reason } }),
    links: { self: `/v1/plans/${plan.id}`, runs: '/v1/runs' },
  };
}

const iso = (date: Date | undefined) => (date === undefined ? null : date.toISOString());

/** A run from the journal as the API shows it. */
export function runView(status: RunStatus, rollbackSteps: readonly JournalRollbackStep[] = []): z.infer<typeof runSchema> {
  const { run, steps, rollback } = status;
  return {
    id: run.id,
    planId: run.planId,
    planChecksum: run.planChecksum,
    environment: run.environment,
    mode: run.mode,
    state: run.state,
    holder: run.holder,
    error: run.error ?? null,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    steps: steps.map((s) => ({ stepId: s.stepId, position: s.position, kind: s.kind, state: s.state, attempts: s.attempts, startedAt: s.startedAt.toISOString(), finishedAt: iso(s.finishedAt), detail: s.detail ?? null })),
    rollback:
      rollback === undefined
        ? null
        : {
            state: rollback.state,
            holder: rollback.holder,
            error: rollback.error ?? null,
            createdAt: rollback.createdAt.toISOString(),
            updatedAt: rollback.updatedAt.toISOString(),
            steps: rollbackSteps.map((s) => ({ stepId: s.stepId, kind: s.kind, state: s.state, attempts: s.attempts, startedAt: s.startedAt.toISOString(), finishedAt: iso(s.finishedAt), detail: s.detail ?? null })),
          },
    links: runLinks(run.id),
  };
}

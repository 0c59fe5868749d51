import { sql } from 'kysely';
import { DEFAULT_OWN_SCHEMA, type AnyKysely } from '@matrix-reset/user-creds';
import { migrateOwnTables } from './migrations.ts';
import { parsePlan, serializePlan } from '../plan/plan-file.ts';
import type { Plan } from '../plan/plan-model.ts';
import { ResetError } from '../reset-error.ts';

export type RunState = 'running' | 'finished' | 'failed';
export type StepState = 'started' | 'finished' | 'failed';

/** A journaled step: when it started and ended, how often it was attempted, what it reported (never a secret). */
export interface JournalStep {
  readonly stepId: string;
  readonly position: number;
  readonly kind: string;
  readonly state: StepState;
  readonly attempts: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  readonly detail: unknown;
}

/** A journaled run of one plan. */
export interface JournalRun {
  readonly id: string;
  readonly planId: string;
  readonly planChecksum: string;
  readonly environment: string;
  readonly mode: string;
  readonly state: RunState;
  /** Who ran it last (`host pid`). */
  readonly holder: string;
  readonly error: { readonly code: string; readonly message: string } | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface RunRow {
  id: string;
  plan_id: string;
  plan_checksum: string;
  plan: unknown;
  environment: string;
  mode: string;
  state: RunState;
  holder: string;
  error: { code: string; message: string } | null;
  created_at: Date;
  updated_at: Date;
}

interface StepRow {
  step_id: string;
  position: number;
  kind: string;
  state: StepState;
  attempts: number;
  started_at: Date;
  finished_at: Date | null;
  detail: unknown;
}

function toRun(row: RunRow): JournalRun {
  return Object.freeze({
    id: row.id,
    planId: row.plan_id,
    planChecksum: row.plan_checksum,
    environment: row.environment,
    mode: row.mode,
    state: row.state,
    holder: row.holder,
    error: row.error ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

function toStep(row: StepRow): JournalStep {
  return Object.freeze({
    stepId: row.step_id,
    position: row.position,
    kind: row.kind,
    state: row.state,
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
    detail: row.detail,
  });
}

/**
 * The run journal in the app database (schema `matrix_reset`, tables `run` and `run_step`): each step is written
 * before it runs and after it ends, so a run that died can be resumed and audited. Details hold counts and names,
 * never a secret.
 *
 * @example
 * ```ts
 * const journal = await openJournal(db);
 * const runId = newRunId();
 * await journal.createRun({ runId, plan, planChecksum: planChecksum(plan), holder: defaultHolder() });
 * await journal.stepStarted(runId, plan.steps[0]!, 0);
 * await journal.stepFinished(runId, plan.steps[0]!.id, { rows: 12 });
 * ```
 */
export interface Journal {
  createRun(options: { runId: string; plan: Plan; planChecksum: string; holder: string }): Promise<JournalRun>;
  getRun(runId: string): Promise<JournalRun | undefined>;
  /** The plan a run was made for, checked against the checksum recorded with it. */
  runPlan(runId: string): Promise<Plan>;
  steps(runId: string): Promise<JournalStep[]>;
  /** The newest runs first (default 50); pass `cursor` from a {@link JournalRunPage} to read on. */
  listRuns(options?: { environment?: string; limit?: number; cursor?: string }): Promise<JournalRun[]>;
  /** One page of runs, newest first, and the cursor of the next page (undefined on the last). */
  listRunPage(options?: { environment?: string; limit?: number; cursor?: string }): Promise<JournalRunPage>;
  setRunState(runId: string, state: RunState, options?: { holder?: string; error?: { code: string; message: string } }): Promise<void>;
  stepStarted(runId: string, step: { id: string; kind: string }, position: number): Promise<void>;
  stepFinished(runId: string, stepId: string, detail: unknown): Promise<void>;
  stepFailed(runId: string, stepId: string, detail: unknown): Promise<void>;
}

/** A page of runs and where the next one starts. */
export interface JournalRunPage {
  readonly runs: readonly JournalRun[];
  /** Opaque; undefined when this page is the last. */
  readonly nextCursor: string | undefined;
}

/** The keyset position after a run: its creation time as Postgres spells it (microseconds kept) and its id. */
function encodeRunCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeRunCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Reported below.
  }
  throw new ResetError('config_invalid', 'The run list cursor is not one this journal handed out', { nextSteps: ['Start again from the first page (no cursor).'] });
}

/**
 * Opens the run journal, creating or migrating its tables first.
 *
 * @example
 * const journal = await openJournal(db);
 * console.table(await journal.listRuns({ environment: 'dev' }));
 */
export async function openJournal(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<Journal> {
  const own = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  await migrateOwnTables(db, { ownSchema: own });
  const run = sql.id(own, 'run');
  const runStep = sql.id(own, 'run_step');
  const json = (value: unknown) => sql`${JSON.stringify(value ?? null)}::jsonb`;

  const getRunRow = async (runId: string): Promise<RunRow | undefined> => (await sql<RunRow>`SELECT * FROM ${run} WHERE id = ${runId}`.execute(db)).rows[0];

  const listRunPage = async (listOptions: { environment?: string; limit?: number; cursor?: string } = {}): Promise<JournalRunPage> => {
    const limit = Math.max(1, Math.min(listOptions.limit ?? 50, 1000));
    const filter = listOptions.environment === undefined ? sql`true` : sql`environment = ${listOptions.environment}`;
    const after = listOptions.cursor === undefined ? undefined : decodeRunCursor(listOptions.cursor);
    const position = after === undefined ? sql`true` : sql`(created_at, id) < (${after.createdAt}::timestamptz, ${after.id})`;
    const result = await sql<RunRow & { created_at_text: string }>`
      SELECT *, created_at::text AS created_at_text FROM ${run} WHERE ${filter} AND ${position}
      ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`.execute(db);
    const rows = result.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    return Object.freeze({ runs: rows.map(toRun), nextCursor: result.rows.length > limit && last !== undefined ? encodeRunCursor(last.created_at_text, last.id) : undefined });
  };

  return Object.freeze({
    async createRun({ runId, plan, planChecksum, holder }) {
      const result = await sql<RunRow>`
        INSERT INTO ${run} (id, plan_id, plan_checksum, plan, environment, mode, state, holder)
        VALUES (${runId}, ${plan.id}, ${planChecksum}, ${json(JSON.parse(serializePlan(plan)))}, ${plan.environment}, ${plan.mode}, 'running', ${holder})
        RETURNING *`.execute(db);
      return toRun(result.rows[0]!);
    },
    async getRun(runId) {
      const row = await getRunRow(runId);
      return row === undefined ? undefined : toRun(row);
    },
    async runPlan(runId) {
      const row = await getRunRow(runId);
      if (row === undefined) throw new Error(`no run ${runId}`);
      return parsePlan(JSON.stringify(row.plan), { source: `the plan of run ${runId}` });
    },
    async steps(runId) {
      const result = await sql<StepRow>`SELECT * FROM ${runStep} WHERE run_id = ${runId} ORDER BY position`.execute(db);
      return result.rows.map(toStep);
    },
    async listRuns(listOptions = {}) {
      return [...(await listRunPage(listOptions)).runs];
    },
    listRunPage,
    async setRunState(runId, state, stateOptions = {}) {
      await sql`
        UPDATE ${run} SET state = ${state}, updated_at = now(),
          holder = coalesce(${stateOptions.holder ?? null}, holder),
          error = ${stateOptions.error === undefined ? sql`NULL` : json(stateOptions.error)}
        WHERE id = ${runId}`.execute(db);
    },
    async stepStarted(runId, step, position) {
      await sql`
        INSERT INTO ${runStep} (run_id, step_id, position, kind, state, attempts, started_at)
        VALUES (${runId}, ${step.id}, ${position}, ${step.kind}, 'started', 1, now())
        ON CONFLICT (run_id, step_id) DO UPDATE SET state = 'started', attempts = ${runStep}.attempts + 1, started_at = now(), finished_at = NULL, detail = NULL`.execute(db);
    },
    async stepFinished(runId, stepId, detail) {
      await sql`UPDATE ${runStep} SET state = 'finished', finished_at = now(), detail = ${json(detail)} WHERE run_id = ${runId} AND step_id = ${stepId}`.execute(db);
    },
    async stepFailed(runId, stepId, detail) {
      await sql`UPDATE ${runStep} SET state = 'failed', finished_at = now(), detail = ${json(detail)} WHERE run_id = ${runId} AND step_id = ${stepId}`.execute(db);
    },
  } satisfies Journal);
}

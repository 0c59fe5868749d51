import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { migrateOwnTables } from './migrations.ts';
import { DEFAULT_OWN_SCHEMA, type AnyKysely } from '@matrix-reset/user-creds';

/** Where a rollback of a run stands. */
export type RollbackState = 'running' | 'rolled-back' | 'rollback-failed';
export type RollbackStepState = 'started' | 'finished' | 'failed';

/** The journaled rollback of one run. */
export interface JournalRollback {
  readonly runId: string;
  readonly state: RollbackState;
  readonly holder: string;
  readonly error: { readonly code: string; readonly message: string } | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The journaled undo of one step of a run: counts and names, never a secret. */
export interface JournalRollbackStep {
  readonly stepId: string;
  readonly kind: string;
  readonly state: RollbackStepState;
  readonly attempts: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  readonly detail: unknown;
}

/** The digest a repair write is recorded by: `sha256:` + hex. A digest of a random token reveals nothing of it. */
export function tokenDigest(accessToken: string): string {
  return `sha256:${createHash('sha256').update(accessToken).digest('hex')}`;
}

/**
 * Records that run `runId` wrote `accessToken` into row `key` of `schema` (only its digest is stored). The
 * re-provisioning step calls it after each token it mints and writes; a rollback reverts a row only while the row
 * still holds that token. Idempotent; a later write of the same run replaces the record.
 *
 * @example
 * await recordRepairWrite(db, { runId, schema: 'tenant_acme', key: '42', accessToken: ensured.accessToken.reveal() });
 */
export async function recordRepairWrite(db: AnyKysely, options: { runId: string; schema: string; key: string; accessToken: string; ownSchema?: string }): Promise<void> {
  const own = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  await migrateOwnTables(db, { ownSchema: own });
  await sql`
    INSERT INTO ${sql.id(own, 'repair_write')} (run_id, source_schema, row_key, token_sha256)
    VALUES (${options.runId}, ${options.schema}, ${options.key}, ${tokenDigest(options.accessToken)})
    ON CONFLICT (run_id, source_schema, row_key) DO UPDATE SET token_sha256 = excluded.token_sha256, written_at = now()`.execute(db);
}

/** One recorded repair write: which row, and the digest of the token written. */
export interface RepairWrite {
  readonly schema: string;
  readonly key: string;
  readonly tokenSha256: string;
}

/** Reads and writes the rollback journal; see {@link openRollbackJournal}. */
export interface RollbackJournal {
  get(runId: string): Promise<JournalRollback | undefined>;
  steps(runId: string): Promise<JournalRollbackStep[]>;
  /** Creates the rollback record, or sets an existing one back to `running`. */
  begin(runId: string, holder: string): Promise<void>;
  finish(runId: string, state: Exclude<RollbackState, 'running'>, error?: { code: string; message: string }): Promise<void>;
  stepStarted(runId: string, step: { id: string; kind: string }): Promise<void>;
  stepFinished(runId: string, stepId: string, detail: unknown): Promise<void>;
  stepFailed(runId: string, stepId: string, detail: unknown): Promise<void>;
  repairWrites(runId: string): Promise<RepairWrite[]>;
}

/**
 * Opens the rollback journal (migrating it first).
 *
 * @example
 * const rollbacks = await openRollbackJournal(db);
 * console.log((await rollbacks.get('r20260101t120000_3fa9'))?.state);
 */
export async function openRollbackJournal(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<RollbackJournal> {
  const own = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  await migrateOwnTables(db, { ownSchema: own });
  const rollback = sql.id(own, 'rollback');
  const step = sql.id(own, 'rollback_step');
  const json = (value: unknown) => sql`${JSON.stringify(value ?? null)}::jsonb`;
  return Object.freeze({
    async get(runId) {
      const row = (
        await sql<{ run_id: string; state: RollbackState; holder: string; error: { code: string; message: string } | null; created_at: Date; updated_at: Date }>`
          SELECT * FROM ${rollback} WHERE run_id = ${runId}`.execute(db)
      ).rows[0];
      if (row === undefined) return undefined;
      return Object.freeze({ runId: row.run_id, state: row.state, holder: row.holder, error: row.error ?? undefined, createdAt: row.created_at, updatedAt: row.updated_at });
    },
    async steps(runId) {
      const result = await sql<{ step_id: string; kind: string; state: RollbackStepState; attempts: number; started_at: Date; finished_at: Date | null; detail: unknown }>`
        SELECT * FROM ${step} WHERE run_id = ${runId} ORDER BY started_at, step_id DESC`.execute(db);
      return result.rows.map((row) =>
        Object.freeze({ stepId: row.step_id, kind: row.kind, state: row.state, attempts: row.attempts, startedAt: row.started_at, finishedAt: row.finished_at ?? undefined, detail: row.detail }),
      );
    },
    async begin(runId, holder) {
      await sql`
        INSERT INTO ${rollback} (run_id, state, holder) VALUES (${runId}, 'running', ${holder})
        ON CONFLICT (run_id) DO UPDATE SET state = 'running', holder = excluded.holder, error = NULL, updated_at = now()`.execute(db);
    },
    async finish(runId, state, error) {
      await sql`UPDATE ${rollback} SET state = ${state}, error = ${error === undefined ? sql`NULL` : json(error)}, updated_at = now() WHERE run_id = ${runId}`.execute(db);
    },
    async stepStarted(runId, s) {
      await sql`
        INSERT INTO ${step} (run_id, step_id, kind, state, attempts, started_at) VALUES (${runId}, ${s.id}, ${s.kind}, 'started', 1, clock_timestamp())
        ON CONFLICT (run_id, step_id) DO UPDATE SET state = 'started', attempts = ${step}.attempts + 1, started_at = clock_timestamp(), finished_at = NULL, detail = NULL`.execute(db);
    },
    async stepFinished(runId, stepId, detail) {
      await sql`UPDATE ${step} SET state = 'finished', finished_at = clock_timestamp(), detail = ${json(detail)} WHERE run_id = ${runId} AND step_id = ${stepId}`.execute(db);
    },
    async stepFailed(runId, stepId, detail) {
      await sql`UPDATE ${step} SET state = 'failed', finished_at = clock_timestamp(), detail = ${json(detail)} WHERE run_id = ${runId} AND step_id = ${stepId}`.execute(db);
    },
    async repairWrites(runId) {
      const result = await sql<{ source_schema: string; row_key: string; token_sha256: string }>`
        SELECT source_schema, row_key, token_sha256 FROM ${sql.id(own, 'repair_write')} WHERE run_id = ${runId} ORDER BY source_schema, row_key`.execute(db);
      return result.rows.map((row) => Object.freeze({ schema: row.source_schema, key: row.row_key, tokenSha256: row.token_sha256 }));
    },
  } satisfies RollbackJournal);
}

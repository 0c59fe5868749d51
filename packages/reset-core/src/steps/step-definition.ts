import type { UserCreds } from '@matrix-reset/user-creds';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import type { DoctorReport } from '../doctor/doctor.ts';
import type { JournalRollbackStep, RollbackJournal } from '../journal/rollback-journal.ts';
import type { JournalStep } from '../journal/run-journal.ts';
import type { Observation } from '../observe/observe.ts';
import type { Plan, PlanMode, PlanStep } from '../plan/plan-model.ts';
import type { ProgressListener } from '../progress.ts';
import type { StepKind } from './step-kinds.ts';

/** How the operator asked Synapse's database to be backed up: `auto` renames where the role may, else dumps. */
export type DatabaseBackupRequest = 'auto' | 'rename' | 'dump';

/**
 * What a run works through: the environment's connection (its config, cluster, Synapse client carrying the admin
 * token, app database, secret stores, and fresh Synapse sessions for a replaced pod). `connectEnvironment` gives one.
 */
export type RunConnection = Pick<EnvironmentConnection, 'environment' | 'kube' | 'synapse' | 'db' | 'openSecretStore' | 'openSynapse'>;

/** What a plan is built from: the observation, the doctor's report, the mode and the operator's options. */
export interface PlanInput {
  readonly env: EnvironmentConfig;
  readonly observation: Observation;
  readonly report: DoctorReport;
  readonly mode: PlanMode;
  /** Clear the stored credentials of rows naming deactivated Matrix users (the app's decision, made explicit). */
  readonly clearDeactivated: boolean;
  /**
   * A Postgres-backed Synapse: reset only its claim (media, signing key) and leave its database to the operator, as
   * before matrix-reset reset such databases itself.
   */
  readonly allowExternalDatabase: boolean;
  /** A Postgres-backed Synapse: also delete its claim (media, and a signing key kept there), after a VolumeSnapshot where the cluster has them. */
  readonly wipeMedia: boolean;
  /** A Postgres-backed Synapse: end the sessions still on its database once its processes are stopped, instead of refusing. */
  readonly terminateDatabaseSessions: boolean;
  /**
   * A Postgres-backed Synapse: how its database is backed up. `auto` renames it aside where the role may, else dumps
   * it into `synapse.database.dumpDirectory` and empties it in place.
   */
  readonly databaseBackup: DatabaseBackupRequest;
}

/** What a step says in the plan; `undo` (when set) says how a rollback puts it back, and makes it undoable. */
export interface StepDescription {
  readonly description: string;
  readonly observed: PlanStep['observed'];
  readonly undo?: string;
}

/** What a step reports for the journal: counts and names, never a secret. */
export type StepDetail = Readonly<Record<string, string | number | boolean | null>>;

/** What a step executes with. */
export interface StepContext {
  /** The journal's run id; also the run id of the credential snapshot. */
  readonly runId: string;
  readonly plan: Plan;
  readonly step: PlanStep;
  readonly connection: RunConnection;
  /** Users handled at once (default 8). */
  readonly concurrency: number;
  /** Rows per transaction when stored credentials are cleared (default: user-creds' batch size). */
  readonly batchSize: number | undefined;
  readonly onProgress: ProgressListener | undefined;
}

/** What a rollback did (or, in a dry run, would do) for one step of the run. */
export type RollbackOutcome =
  /** Something was put back (counts in `detail`). */
  | 'undone'
  /** The step changed nothing that needs putting back (a backup, a check), or its changes are already gone. */
  | 'nothing-to-undo'
  /** The step's effect stays, in whole or in part: `cannotUndo` says what. */
  | 'cannot-undo'
  /** Dry run: this would be put back. */
  | 'would-undo';

/** One step's rollback: its outcome, a summary, what stays as the run left it, and counts. */
export interface UndoResult {
  readonly outcome: RollbackOutcome;
  readonly summary: string;
  /** Plain statements of what stays as the run left it (empty when everything was put back). */
  readonly cannotUndo: readonly string[];
  readonly detail: StepDetail;
}

/** What a step's undo works with. */
export interface UndoContext {
  readonly runId: string;
  readonly plan: Plan;
  readonly step: PlanStep;
  /** How far the step got in the run. */
  readonly ran: JournalStep;
  /** Every journaled step of the run, by step kind (to see what else ran). */
  readonly ranKinds: ReadonlyMap<StepKind, JournalStep>;
  readonly connection: RunConnection;
  readonly creds: UserCreds;
  readonly rollbacks: RollbackJournal;
  /** The journaled rollback of this step from an earlier attempt, if any. */
  readonly previous: JournalRollbackStep | undefined;
  readonly dryRun: boolean;
}

/**
 * One kind of step, whole: what it says in a plan (`describe`; undefined when it does not apply to this
 * environment), what it does (`execute`, idempotent: running it again after it finished or died half-way is
 * harmless) and how a rollback undoes it (`undo`).
 */
export interface StepDefinition {
  readonly kind: StepKind;
  describe(input: PlanInput): StepDescription | undefined;
  execute(context: StepContext): Promise<StepDetail>;
  undo(context: UndoContext): Promise<UndoResult>;
}

/** An undo for steps that change nothing lasting (a backup, a check). */
export function nothingToUndo(summary: string): StepDefinition['undo'] {
  return async () => ({ outcome: 'nothing-to-undo', summary, cannotUndo: [], detail: {} });
}

/** An undo for steps whose effect cannot be put back: says so, and what stays. */
export function cannotUndo(summary: (context: UndoContext) => string, statements: (context: UndoContext) => string[]): StepDefinition['undo'] {
  return async (context) => ({ outcome: 'cannot-undo', summary: summary(context), cannotUndo: statements(context), detail: {} });
}

/** Rows with credentials in the plan's observed app database: the denominator of the steps' progress counts. */
export function plannedRowsWithCredentials(plan: Plan): number {
  return plan.observed.appDatabase.schemas.reduce((n, s) => n + s.withCredentials, 0);
}

/** A k8s-ops wait's progress, as this step's `waiting` event. */
export function waitProgress(context: StepContext): (progress: { waitingFor: string }) => void {
  return (progress) => context.onProgress?.({ type: 'waiting', stepId: context.step.id, waitingFor: progress.waitingFor });
}

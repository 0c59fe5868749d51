import { sql } from 'kysely';
import { createUserCreds, DEFAULT_OWN_SCHEMA, type UserCreds } from '@matrix-reset/user-creds';
import type { ApplyDependencies } from './apply.ts';
import { defaultHolder, withEnvironmentLock } from './environment-lock.ts';
import { openJournal, type JournalStep } from '../journal/run-journal.ts';
import { planChecksum, type Plan, type PlanStep, type StepKind } from '../plan/plan-model.ts';
import { isResetError, ResetError } from '../reset-error.ts';
import { openRollbackJournal, tokenDigest, type JournalRollbackStep, type RollbackJournal, type RollbackState } from '../journal/rollback-journal.ts';
import { missingUsersRunId, type StepDetail } from '../steps/step-repair.ts';

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

export interface RollbackStepResult {
  readonly stepId: string;
  readonly kind: StepKind;
  /** How far the step got in the run. */
  readonly ranState: JournalStep['state'];
  readonly outcome: RollbackOutcome;
  readonly summary: string;
  /** Plain statements of what stays as the run left it (empty when everything was put back). */
  readonly cannotUndo: readonly string[];
  readonly detail: StepDetail;
}

export interface RollbackResult {
  readonly runId: string;
  readonly environment: string;
  readonly mode: string;
  /** `nothing-to-undo`: no step of the run ever started; `dry-run`: nothing was written. */
  readonly state: RollbackState | 'dry-run' | 'nothing-to-undo';
  /** True when an earlier rollback had finished: this call changed nothing. */
  readonly alreadyRolledBack: boolean;
  /** The run's steps that ran, in the order they are undone (reverse plan order). */
  readonly steps: readonly RollbackStepResult[];
  /** Everything that stays as the run left it, from every step. */
  readonly cannotUndo: readonly string[];
}

/** Asked before anything is written; throws to decline. */
export type ConfirmRollback = (request: { environment: string; protected: boolean; summary: string }) => Promise<void>;

export interface RollbackOptions {
  /** Required unless `dryRun`: a rollback writes credentials and secrets back. */
  confirm?: ConfirmRollback;
  onProgress?: (message: string) => void;
  /** Say what would be undone and what cannot; write nothing, take no lock. */
  dryRun?: boolean;
  /** Shown to anyone refused by the lock, and journaled. */
  holder?: string;
}

interface UndoContext {
  readonly runId: string;
  readonly plan: Plan;
  readonly step: PlanStep;
  readonly ran: JournalStep;
  /** Every journaled step of the run, by step kind (to see what else ran). */
  readonly ranKinds: ReadonlyMap<StepKind, JournalStep>;
  readonly deps: ApplyDependencies;
  readonly creds: UserCreds;
  readonly rollbacks: RollbackJournal;
  /** The journaled rollback of this step from an earlier attempt, if any. */
  readonly previous: JournalRollbackStep | undefined;
  readonly dryRun: boolean;
}

type UndoResult = Pick<RollbackStepResult, 'outcome' | 'summary' | 'cannotUndo' | 'detail'>;
type Undo = (context: UndoContext) => Promise<UndoResult>;

const nothing = (summary: string): Undo => async () => ({ outcome: 'nothing-to-undo', summary, cannotUndo: [], detail: {} });

/** Restores the rows of a snapshot that are still cleared (user-creds `restore`): rows written since are kept. */
async function restoreCleared(context: UndoContext, snapshotRunId: string, what: string): Promise<UndoResult> {
  const snapshots = await context.creds.listSnapshots(snapshotRunId);
  if (snapshots.length === 0) return { outcome: 'nothing-to-undo', summary: `no snapshot ${snapshotRunId}: ${what} cleared nothing`, cannotUndo: [], detail: { snapshotRunId } };
  if (context.dryRun) {
    const stillCleared = await countStillCleared(context, snapshotRunId);
    return {
      outcome: stillCleared > 0 ? 'would-undo' : 'nothing-to-undo',
      summary: `restore ${stillCleared} rows still cleared from snapshot ${snapshotRunId} (rows written since are kept)`,
      cannotUndo: [],
      detail: { snapshotRunId, stillCleared },
    };
  }
  const result = await context.creds.restore({ runId: snapshotRunId });
  const kept = result.totalSkipped;
  return {
    outcome: result.totalRestored > 0 ? 'undone' : 'nothing-to-undo',
    summary: `restored ${result.totalRestored} rows from snapshot ${snapshotRunId}; ${kept} rows hold credentials again (written since, or already restored) and were kept`,
    cannotUndo: [],
    detail: { snapshotRunId, restored: result.totalRestored, kept },
  };
}

/** Rows of a snapshot whose live row is still in the cleared state (every snapshotted column NULL). */
async function countStillCleared(context: UndoContext, snapshotRunId: string): Promise<number> {
  let count = 0;
  for (const snapshot of await context.creds.listSnapshots(snapshotRunId)) {
    const cleared = sql.join(
      snapshot.columns.map((c) => (c.kind === 'jsonbKey' ? sql`NOT coalesce(t.${sql.id(c.column)} ? ${c.key ?? ''}, false)` : sql`t.${sql.id(c.column)} IS NULL`)),
      sql` AND `,
    );
    const result = await sql<{ n: string }>`
      SELECT count(*) AS n FROM ${sql.id(context.creds.ownSchema, snapshot.backupTable)} s
      JOIN ${sql.id(snapshot.schema, snapshot.table)} t ON t.${sql.id(snapshot.keyColumn)}::text = s.k::text
      WHERE ${cleared}`.execute(context.deps.db);
    count += Number(result.rows[0]?.n ?? 0);
  }
  return count;
}

/** The snapshot's values of one row (user id, token, device id), or undefined when the row is not in it. */
async function snapshotValues(context: UndoContext, schema: string, key: string): Promise<{ userId: string | null; accessToken: string | null; deviceId: string | null } | undefined> {
  const snapshot = (await context.creds.listSnapshots(context.runId)).find((s) => s.schema === schema);
  if (snapshot === undefined) return undefined;
  const result = await sql<{ r: Record<string, string | null> }>`
    SELECT to_jsonb(s) AS r FROM ${sql.id(context.creds.ownSchema, snapshot.backupTable)} s WHERE s.k::text = ${key}`.execute(context.deps.db);
  const row = result.rows[0]?.r;
  if (row === undefined) return undefined;
  return { userId: row['user_id'] ?? null, accessToken: row['access_token'] ?? null, deviceId: row['device_id'] ?? null };
}

/**
 * Puts back the snapshot values of each row the repair wrote a token into, with compare-and-set on that token: a
 * row that holds anything else now (the app wrote it since) is kept.
 */
const revertReprovisioned: Undo = async (context) => {
  const writes = await context.rollbacks.repairWrites(context.runId);
  const counts = { recorded: writes.length, reverted: 0, keptChanged: 0, notInSnapshot: 0 };
  for (const write of writes) {
    const row = await context.creds.read({ schema: write.schema, key: write.key });
    if (row === undefined || row.accessToken === null || tokenDigest(row.accessToken) !== write.tokenSha256) {
      counts.keptChanged++;
      continue;
    }
    const before = await snapshotValues(context, write.schema, write.key);
    if (before === undefined) {
      counts.notInSnapshot++;
      continue;
    }
    if (context.dryRun) {
      counts.reverted++;
      continue;
    }
    const written = await context.creds.write({ schema: write.schema, key: write.key, expectedAccessToken: row.accessToken, ...before });
    if (written.status === 'written') counts.reverted++;
    else counts.keptChanged++;
  }
  const minted = numberIn(context.ran.detail, 'minted');
  const cannotUndo: string[] = [];
  const unrecorded = minted === undefined ? 0 : Math.max(0, minted - writes.length);
  if (unrecorded > 0) {
    cannotUndo.push(`${unrecorded} of the ${minted} rows step ${context.step.id} re-provisioned have no record of the token it wrote, so they are left as they are (a row is reverted only while it provably holds the repair's token)`);
  }
  if (counts.notInSnapshot > 0) cannotUndo.push(`${counts.notInSnapshot} re-provisioned rows are not in snapshot ${context.runId} and were left as they are`);
  if (counts.reverted > 0) {
    cannotUndo.push(`${counts.reverted} tokens the repair minted (login-as) stay valid on Synapse until they expire; no row stores them any more`);
  }
  const verb = context.dryRun ? 'would revert' : 'reverted';
  return {
    outcome: counts.reverted > 0 ? (context.dryRun ? 'would-undo' : 'undone') : cannotUndo.length > 0 ? 'cannot-undo' : 'nothing-to-undo',
    summary: `${verb} ${counts.reverted} re-provisioned rows to their snapshot values; ${counts.keptChanged} rows changed since the repair (or already reverted) were kept`,
    cannotUndo,
    detail: counts,
  };
};

function numberIn(detail: unknown, key: string): number | undefined {
  const value = typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' ? value : undefined;
}

/**
 * Writes the previous version of each admin-token target back (the store's `restorePrevious`). A target is restored
 * only while it still holds what the run wrote: when the step journaled the version it wrote (`"<role> <reference>"`
 * in its detail), that version must still be current; when it did not, only a first rollback attempt restores.
 * Targets the run did not change are left alone: those the step journaled as `unchanged` (except the primary target,
 * which bootstrap-admin wrote), and those with no previous value kept (a Secret key or `.env` key whose neighbour in
 * the same Secret or file changed its version). A Secret External Secrets manages is not written: it follows its
 * restored source at the ExternalSecret's next refresh.
 */
const restoreSecrets: Undo = async (context) => {
  const written = (typeof context.ran.detail === 'object' && context.ran.detail !== null ? context.ran.detail : {}) as Record<string, unknown>;
  const primary = context.deps.environment.adminToken[0];
  const counts = { targets: 0, restored: 0, unchanged: 0 };
  const cannotUndo: string[] = [];
  for (const [target, plannedVersion] of Object.entries(context.step.observed)) {
    const reference = target.slice(target.indexOf(' ') + 1);
    counts.targets++;
    const store = context.deps.openSecretStore(reference);
    const outcome = written[reference];
    const isPrimary = reference === primary?.token || reference === primary?.user;
    if (!isPrimary && (outcome === 'unchanged' || outcome === 'in-sync')) {
      counts.unchanged++;
      continue;
    }
    if (outcome === 'synced') {
      cannotUndo.push(`${store.describe()} is managed by External Secrets: not written back; it takes the restored value of its source at its ExternalSecret's next refresh (force one: kubectl annotate externalsecret <name> force-sync=$(date +%s) --overwrite)`);
      continue;
    }
    const current = await store.read();
    if (current.version !== undefined && current.version === plannedVersion) {
      counts.unchanged++;
      continue;
    }
    const writtenVersion = written[target];
    if (typeof writtenVersion === 'string' && writtenVersion !== current.version) {
      cannotUndo.push(`${store.describe()} changed after the run wrote it (version ${current.version ?? 'none'}, the run wrote ${writtenVersion}): not restored`);
      continue;
    }
    if (typeof writtenVersion !== 'string' && context.previous !== undefined) {
      cannotUndo.push(`${store.describe()}: an earlier rollback attempt may already have restored it and the run did not record the version it wrote: check it by hand`);
      continue;
    }
    if (!store.writable) {
      cannotUndo.push(`${store.describe()} is read-only here: put its previous value back by hand`);
      continue;
    }
    if (!(await store.readPrevious()).exists) {
      if (plannedVersion === null) cannotUndo.push(`${store.describe()} did not exist before the run, which created it: remove it by hand if it must go`);
      else counts.unchanged++;
      continue;
    }
    if (!context.dryRun) await store.restorePrevious(current.version === undefined ? {} : { expectedVersion: current.version });
    counts.restored++;
  }
  return {
    outcome: counts.restored > 0 ? (context.dryRun ? 'would-undo' : 'undone') : cannotUndo.length > 0 ? 'cannot-undo' : 'nothing-to-undo',
    summary: `${context.dryRun ? 'would restore' : 'restored'} the previous version of ${counts.restored} of ${counts.targets} admin-token targets; ${counts.unchanged} were unchanged by the run or still at the planned version`,
    cannotUndo,
    detail: counts,
  };
};

function cannot(summary: (context: UndoContext) => string, statements: (context: UndoContext) => string[]): Undo {
  return async (context) => ({ outcome: 'cannot-undo', summary: summary(context), cannotUndo: statements(context), detail: {} });
}

/** How each kind of step is undone. Kinds that change nothing lasting have nothing to undo. */
const UNDO: Readonly<Record<StepKind, Undo>> = Object.freeze({
  'snapshot-credentials': nothing('a snapshot: kept, so it can still be restored from'),
  'backup-secrets': nothing('a backup of the secret versions: kept'),
  'volume-snapshot': nothing('a VolumeSnapshot: kept'),
  verify: nothing('a check: changed nothing'),
  'restart-workloads': nothing('a rollout restart: nothing to put back'),
  'reprovision-existing-users': revertReprovisioned,
  'clear-missing-users': (context) => restoreCleared(context, missingUsersRunId(context.runId), `step ${context.step.id}`),
  'clear-credentials': (context) => restoreCleared(context, context.runId, `step ${context.step.id}`),
  'write-admin-token': restoreSecrets,
  'scale-down': async (context) => {
    const k = context.plan.observed.kubernetes;
    const scaledUp = context.ranKinds.get('scale-up')?.state === 'finished';
    if (scaledUp || k === undefined) return { outcome: 'nothing-to-undo', summary: 'the run scaled the StatefulSet up again', cannotUndo: [], detail: {} };
    return {
      outcome: 'cannot-undo',
      summary: 'not scaled back by this version',
      cannotUndo: [`StatefulSet ${k.namespace}/${k.statefulSet.name} may still be at 0 replicas: scale it back by hand (kubectl -n ${k.namespace} scale statefulset ${k.statefulSet.name} --replicas=${k.statefulSet.replicas})`],
      detail: {},
    };
  },
  'delete-pvc': cannot(
    () => 'a deleted volume cannot be put back',
    (context) => {
      const k = context.plan.observed.kubernetes;
      const pvc = k === undefined ? 'the PVC' : `PVC ${k.namespace}/${k.pvc.name ?? '(unnamed)'}`;
      const snapshot = context.ranKinds.get('volume-snapshot')?.state === 'finished';
      return [
        snapshot
          ? `${pvc} was deleted and Synapse was wiped; a VolumeSnapshot was taken first (step volume-snapshot): restoring it into a new claim is a manual step`
          : `${pvc} was deleted without a volume snapshot: Synapse was wiped (its users, devices, rooms and keys are gone for good)`,
      ];
    },
  ),
  'scale-up': nothing('the new Synapse stays up (scaling it down would not bring the old data back)'),
  'bootstrap-admin': cannot(
    () => 'a registered Matrix user cannot be unregistered',
    (context) => [`Matrix user ${String(context.step.observed['adminUserId'] ?? 'the admin')} was registered on the new Synapse and stays`],
  ),
});

function lockOptions(deps: ApplyDependencies, holder: string) {
  const k = deps.environment.kubernetes;
  return {
    environment: deps.environment.name,
    holder,
    ...(k !== undefined && deps.kube !== undefined ? { kubernetes: { kube: deps.kube, namespace: k.namespace } } : {}),
  };
}

function fromJournal(step: JournalRollbackStep, ran: JournalStep): RollbackStepResult {
  const stored = (step.detail ?? {}) as Partial<UndoResult>;
  return Object.freeze({
    stepId: step.stepId,
    kind: step.kind as StepKind,
    ranState: ran.state,
    outcome: stored.outcome ?? 'nothing-to-undo',
    summary: stored.summary ?? '',
    cannotUndo: stored.cannotUndo ?? [],
    detail: stored.detail ?? {},
  });
}

function result(base: Omit<RollbackResult, 'cannotUndo'>): RollbackResult {
  return Object.freeze({ ...base, cannotUndo: base.steps.flatMap((s) => s.cannotUndo) });
}

/**
 * Rolls a run back: takes the environment's lock, then undoes, in reverse plan order, what each step that started
 * did and can be undone, journaling the rollback (`rolled-back` or `rollback-failed`, one entry per step) so a
 * rollback that stops can be run again. Credentials cleared by the run come back from its snapshots (only rows still
 * cleared: the app's later writes are kept); tokens a repair re-provisioned are put back to their snapshot values
 * only where the row still holds the repair's token (compare-and-set); admin-token targets get their previous
 * version back. What cannot be undone (a wiped Synapse, a registered user, a deleted volume) is said in
 * `cannotUndo`, never hidden. A second rollback changes nothing; a run with no started step has nothing to undo.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(env);
 * const preview = await rollbackRun('r20260101t120000_3fa9', connection, { dryRun: true });
 * const done = await rollbackRun('r20260101t120000_3fa9', connection, { confirm: async ({ summary }) => console.error(summary) });
 * for (const line of done.cannotUndo) console.error(`not undone: ${line}`);
 * ```
 */
export async function rollbackRun(runId: string, deps: ApplyDependencies, options: RollbackOptions = {}): Promise<RollbackResult> {
  const journal = await openJournal(deps.db);
  const run = await journal.getRun(runId);
  if (run === undefined) {
    throw new ResetError('unsupported', `No run ${runId} in the journal of ${deps.environment.name}`, { nextSteps: ['List the runs: matrix-reset status.'] });
  }
  if (run.environment !== deps.environment.name) {
    throw new ResetError('stale_plan', `Run ${runId} belongs to environment ${run.environment}, not ${deps.environment.name}`, { nextSteps: [`Roll it back with --env ${run.environment}.`] });
  }
  const plan = await journal.runPlan(runId);
  if (planChecksum(plan) !== run.planChecksum) {
    throw new ResetError('stale_plan', `The plan journaled with run ${runId} does not match its recorded checksum`, { nextSteps: ['Someone edited the journal; roll back by hand from the snapshots (matrix-reset creds restore).'] });
  }
  const rollbacks = await openRollbackJournal(deps.db);
  const creds = createUserCreds({ db: deps.db, layout: deps.environment.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA });
  const base = { runId, environment: run.environment, mode: run.mode };

  const compute = async (dryRun: boolean, write: boolean): Promise<RollbackResult> => {
    const ranSteps = await journal.steps(runId);
    const ran = new Map(ranSteps.map((s) => [s.stepId, s]));
    const ranKinds = new Map(ranSteps.map((s) => [s.kind as StepKind, s]));
    const toUndo = [...plan.steps].reverse().filter((s) => ran.has(s.id));
    const existing = await rollbacks.get(runId);
    const done = new Map((await rollbacks.steps(runId)).map((s) => [s.stepId, s]));
    if (existing?.state === 'rolled-back') {
      return result({ ...base, state: 'rolled-back', alreadyRolledBack: true, steps: toUndo.flatMap((s) => (done.has(s.id) ? [fromJournal(done.get(s.id)!, ran.get(s.id)!)] : [])) });
    }
    if (toUndo.length === 0) return result({ ...base, state: 'nothing-to-undo', alreadyRolledBack: false, steps: [] });
    if (write) {
      if (options.confirm === undefined) {
        throw new ResetError('confirmation_required', `Rolling back run ${runId} of ${run.environment} needs a confirmation`, {
          nextSteps: ['Pass a confirm callback (the CLI: --yes, or type the name on a terminal); see what it would do with a dry run first.'],
        });
      }
      await options.confirm({
        environment: deps.environment.name,
        protected: deps.environment.protected,
        summary: `roll back run ${runId} of ${run.environment}: undo ${toUndo.length} steps (${toUndo.map((s) => s.id).join(', ')})`,
      });
      await rollbacks.begin(runId, options.holder ?? defaultHolder());
    }
    const steps: RollbackStepResult[] = [];
    for (const step of toUndo) {
      const ranStep = ran.get(step.id)!;
      const previous = done.get(step.id);
      if (previous?.state === 'finished') {
        steps.push(fromJournal(previous, ranStep));
        continue;
      }
      options.onProgress?.(`${dryRun ? 'dry run: ' : ''}undo ${step.id}`);
      const context: UndoContext = { runId, plan, step, ran: ranStep, ranKinds, deps, creds, rollbacks, previous, dryRun };
      if (write) await rollbacks.stepStarted(runId, step);
      let undone: UndoResult;
      try {
        undone = await UNDO[step.kind](context);
      } catch (error) {
        if (!write) throw error;
        const failure = { code: isResetError(error) ? error.code : 'bug', message: error instanceof Error ? error.message : String(error) };
        await rollbacks.stepFailed(runId, step.id, failure);
        await rollbacks.finish(runId, 'rollback-failed', failure);
        if (isResetError(error)) throw error;
        throw new ResetError('step_failed', `Undoing step ${step.id} of run ${runId} failed: ${failure.message}`, {
          nextSteps: [`Fix the cause, then roll back again: matrix-reset rollback ${runId} (steps already undone are not repeated).`],
          cause: error,
        });
      }
      if (write) await rollbacks.stepFinished(runId, step.id, undone);
      steps.push(Object.freeze({ stepId: step.id, kind: step.kind, ranState: ranStep.state, ...undone }));
      options.onProgress?.(`${step.id}: ${undone.summary}`);
    }
    if (write) await rollbacks.finish(runId, 'rolled-back');
    return result({ ...base, state: dryRun ? 'dry-run' : 'rolled-back', alreadyRolledBack: false, steps });
  };

  if (options.dryRun === true) return compute(true, false);
  return withEnvironmentLock(deps.db, lockOptions(deps, options.holder ?? defaultHolder()), () => compute(false, true));
}

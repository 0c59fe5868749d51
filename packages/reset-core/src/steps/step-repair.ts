import { recordRepairWrite } from '../journal/rollback-journal.ts';
import type { Kube } from '@matrix-reset/k8s-ops';
import type { SecretStore } from '@matrix-reset/secrets';
import { isSynapseClientError, mapConcurrent, type AdminUser, type SynapseClient } from '@matrix-reset/synapse-admin';
import {
  clearUsers,
  createUserCreds,
  DEFAULT_OWN_SCHEMA,
  streamCredentials,
  type AnyKysely,
  type StoredCredential,
  type UserCredsContext,
} from '@matrix-reset/user-creds';
import { doctor } from '../doctor/doctor.ts';
import { ensureCredentials, type EnsureCredentialsDeps } from '../ensure/ensure-credentials.ts';
import type { PlanMode, PlanStep, StepKind } from '../plan/plan-model.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { ResetError } from '../reset-error.ts';
import { FULL_RESET_EXECUTORS, verifyFullReset } from './step-full-reset.ts';

/** What a step executor works with. */
export interface StepContext {
  /** The journal's run id; also the run id of the credential snapshot. */
  readonly runId: string;
  readonly environment: EnvironmentConfig;
  readonly step: PlanStep;
  /** The plan's mode (`verify` checks through a fresh connection and the new admin token after a full reset). */
  readonly mode: PlanMode;
  /** The environment's cluster (full-reset steps); undefined without a kubernetes: section. */
  readonly kube: Kube | undefined;
  /** Opens the secret store a reference names (admin token targets, shared secret). */
  readonly openSecretStore: (reference: string) => SecretStore;
  /** Carries the admin token (the one stored when the run started: a full reset replaces it). */
  readonly synapse: SynapseClient;
  readonly db: AnyKysely;
  /** Users handled at once (default 8). */
  readonly concurrency: number;
  /** Rows per transaction when stored credentials are cleared (default: user-creds' batch size). */
  readonly batchSize: number | undefined;
  readonly onProgress: ((message: string) => void) | undefined;
}

/** What a step reports for the journal: counts and names, never a secret. */
export type StepDetail = Readonly<Record<string, string | number | boolean | null>>;

/** Runs one step; must be idempotent (running it again after it finished, or died half-way, is harmless). */
export type StepExecutor = (context: StepContext) => Promise<StepDetail>;

/** The run id of the snapshot taken before rows of vanished users are cleared (kept apart from the full snapshot). */
export function missingUsersRunId(runId: string): string {
  return `${runId}_m`;
}

function credsContext(context: StepContext): UserCredsContext {
  return { db: context.db, layout: context.environment.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA };
}

/** Rows naming a Matrix user of this server (the ones a repair can act on). */
async function* rowsOnServer(context: StepContext): AsyncGenerator<StoredCredential & { userId: string }> {
  const suffix = `:${context.environment.synapse.serverName}`;
  for await (const row of streamCredentials(credsContext(context), { pageSize: 1000 })) {
    if (row.userId !== null && row.userId.startsWith('@') && row.userId.endsWith(suffix)) yield { ...row, userId: row.userId };
  }
}

/** One admin lookup per distinct user id. */
function userLookup(synapse: SynapseClient): (userId: string) => Promise<AdminUser | undefined> {
  const cache = new Map<string, Promise<AdminUser | undefined>>();
  return (userId) => {
    let pending = cache.get(userId);
    if (pending === undefined) cache.set(userId, (pending = synapse.admin.getUser(userId)));
    return pending;
  };
}

/** Snapshot every stored credential under the run id. Idempotent per run id (user-creds). */
const snapshotCredentials: StepExecutor = async (context) => {
  const result = await createUserCreds({ db: context.db, layout: context.environment.appDatabase.layout }).snapshot({ runId: context.runId });
  return {
    schemas: result.schemas.length,
    rows: result.schemas.reduce((n, s) => n + s.rowCount, 0),
    alreadyExisted: result.schemas.every((s) => s.alreadyExisted),
  };
};

/**
 * For every row whose Matrix user exists and is active: ensure-credentials (keeps a token whoami accepts, else mints
 * one with login-as and writes it with compare-and-set). Rows of missing or deactivated users are skipped. Run again,
 * it keeps what it minted.
 */
const reprovisionExistingUsers: StepExecutor = async (context) => {
  const lookup = userLookup(context.synapse);
  const deps: EnsureCredentialsDeps = { db: context.db, layout: context.environment.appDatabase.layout, synapse: context.synapse, serverName: context.environment.synapse.serverName };
  const counts = { examined: 0, kept: 0, minted: 0, missingUser: 0, deactivated: 0 };
  const failures: { schema: string; key: string; message: string }[] = [];
  const handle = async (row: StoredCredential & { userId: string }): Promise<'kept' | 'minted' | 'missingUser' | 'deactivated'> => {
    const user = await lookup(row.userId);
    if (user === undefined) return 'missingUser';
    if (user.deactivated) return 'deactivated';
    const ensured = await ensureCredentials(deps, { schema: row.schema, appUserKey: row.key });
    if (ensured.source === 'kept') return 'kept';
    // Recorded (as a digest) so a rollback can tell this row still holds what the repair wrote.
    await recordRepairWrite(context.db, { runId: context.runId, schema: row.schema, key: row.key, accessToken: ensured.accessToken.reveal() });
    return 'minted';
  };
  for await (const result of mapConcurrent(rowsOnServer(context), context.concurrency, handle)) {
    counts.examined++;
    if (result.status === 'fulfilled') counts[result.value]++;
    else if (result.reason instanceof ResetError || isSynapseClientError(result.reason)) {
      failures.push({ schema: result.input.schema, key: result.input.key, message: (result.reason as Error).message });
    } else throw result.reason;
    if (counts.examined % 500 === 0) context.onProgress?.(`${context.step.id}: ${counts.examined} rows, ${counts.minted} new tokens`);
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new ResetError('step_failed', `${failures.length} of ${counts.examined} rows could not be re-provisioned (first: ${first.schema} key ${first.key}: ${first.message})`, {
      nextSteps: ['Fix the cause, then resume the run (matrix-reset resume RUN): rows already repaired are kept.'],
    });
  }
  return counts;
};

/**
 * Clears the stored credentials of rows whose Matrix user no longer exists, against a snapshot of just those rows
 * (run id `<run>_m`), so the app provisions them again. Resumes a clear that died (user-creds' progress table).
 */
const clearMissingUsers: StepExecutor = async (context) => {
  const lookup = userLookup(context.synapse);
  const keys: { schema: string; key: string }[] = [];
  for await (const result of mapConcurrent(rowsOnServer(context), context.concurrency, async (row) => (await lookup(row.userId)) === undefined)) {
    if (result.status === 'rejected') throw result.reason;
    if (result.value) keys.push({ schema: result.input.schema, key: result.input.key });
  }
  const snapshotRunId = missingUsersRunId(context.runId);
  const creds = createUserCreds({ db: context.db, layout: context.environment.appDatabase.layout });
  // Nothing found now, but a clear that died half-way has a snapshot: finish it.
  if (keys.length === 0 && (await creds.listSnapshots(snapshotRunId)).length === 0) return { missingUsers: 0, cleared: 0, kept: 0, snapshotRunId: null };
  const result = await clearUsers(credsContext(context), { runId: snapshotRunId, select: { keys } });
  return { missingUsers: keys.length, cleared: result.totalCleared, kept: result.totalKept, snapshotRunId };
};

/** Doctor over every row; fails the step when a credential is still broken. */
const verify: StepExecutor = async (context) => {
  const report = await doctor(context.environment, { synapse: context.synapse, db: context.db });
  const { action, reason, evidence } = report.recommendation;
  if (action !== 'nothing') {
    throw new ResetError('drift_found', `Verification after the repair: ${action}: ${reason}`, {
      nextSteps: ['Run matrix-reset doctor to see the rows, fix the cause, and resume the run.'],
    });
  }
  return { action, checked: evidence.checked, valid: evidence.valid, broken: evidence.broken };
};

/** The executors this version implements, by step kind. */
export const STEP_EXECUTORS: Readonly<Partial<Record<StepKind, StepExecutor>>> = Object.freeze({
  ...FULL_RESET_EXECUTORS,
  'snapshot-credentials': snapshotCredentials,
  'reprovision-existing-users': reprovisionExistingUsers,
  'clear-missing-users': clearMissingUsers,
  verify: (context: StepContext) => (context.mode === 'full-reset' ? verifyFullReset(context) : verify(context)),
});

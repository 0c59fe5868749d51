import type { EnvironmentConfig } from '../config/reset-config.ts';
import { resolveSynapseDatabase, type SynapseDatabaseConnection } from '../connection/connect-synapse-database.ts';
import type { SynapseDatabaseObservation } from '../observe/observe-synapse-database.ts';
import { ResetError } from '../reset-error.ts';
import { quoteIdentifier, sessionsOn, swapRefusal, terminateSessions } from '../synapse-database/database-swap.ts';
import type { DatabaseBackupRequest, PlanInput, RunConnection, StepContext } from './step-definition.ts';

/** A reachable Postgres-backed Synapse's database as the plan observed it. */
export type ReachableSynapseDatabase = Extract<SynapseDatabaseObservation, { reachable: true }>;

/** True when the full reset resets Synapse's Postgres database (rather than deleting the claim SQLite lives on). */
export function resetsSynapseDatabase(input: PlanInput): boolean {
  return input.observation.storage.engine === 'psycopg2' && !input.allowExternalDatabase;
}

/** The observed database of a Postgres-backed Synapse; a full-reset plan refuses before describing steps without it. */
export function observedSynapseDatabase(input: PlanInput): ReachableSynapseDatabase {
  const seen = input.observation.synapseDatabase;
  if (seen?.reachable !== true) throw new Error("plan invariant: the database steps are described only with Synapse's database reached");
  return seen;
}

/** A plan step's observed string, or a step_failed naming what the plan lacks. */
export function observedText(observed: Readonly<Record<string, unknown>>, key: string, stepId: string): string {
  const value = observed[key];
  if (typeof value === 'string' && value !== '') return value;
  throw new ResetError('step_failed', `The plan's step ${stepId} records no ${key}`, { nextSteps: ['Make a new plan with this version of matrix-reset, and apply that one.'] });
}

/** Databases another session can manage Synapse's from: `postgres`, else `template1` (every server has one of them). */
const MAINTENANCE_DATABASES = ['postgres', 'template1'] as const;

/**
 * A session on Synapse's database server, connected to a maintenance database (Synapse's own cannot be renamed or
 * dropped from a session on it), without a statement timeout (a rename waits for its lock). The caller closes it.
 */
export async function synapseDatabaseServer(connection: RunConnection): Promise<SynapseDatabaseConnection> {
  const access = await resolveSynapseDatabase(connection.environment, { kube: connection.kube, openSecretStore: connection.openSecretStore });
  let lastError: unknown;
  for (const database of MAINTENANCE_DATABASES) {
    try {
      return await access.connect({ database, statementTimeoutMs: 0 });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The backup a database reset plans: renamed aside, or dumped into a directory and emptied in place. */
export type DatabaseBackupChoice =
  | { readonly method: 'rename'; readonly reason: string }
  | { readonly method: 'dump'; readonly directory: string; readonly reason: string };

function dumpRefusal(env: EnvironmentConfig, seen: ReachableSynapseDatabase): ResetError | undefined {
  const { role, database } = seen;
  const foreign = role.superuser ? [] : role.notOwnedSchemas;
  if (foreign.length > 0) {
    return new ResetError('environment_incapable', `Role ${role.name} cannot empty Synapse's database ${database.name} after a dump: it does not own schema${foreign.length === 1 ? '' : 's'} ${foreign.join(', ')}`, {
      nextSteps: [`As a superuser (or the schema's owner), run: ${foreign.map((schema) => `ALTER SCHEMA ${quoteIdentifier(schema)} OWNER TO ${quoteIdentifier(role.name)};`).join(' ')}`],
    });
  }
  if (env.synapse.database?.dumpDirectory === undefined) {
    return new ResetError('config_invalid', `A dump of Synapse's database ${database.name} needs a directory to keep it in: environments.${env.name}.synapse.database.dumpDirectory is not set`, {
      nextSteps: [
        `Set synapse.database.dumpDirectory in matrix-reset.yaml to a directory with room for a compressed dump of ${mebibytes(database.sizeBytes)} (kept until you delete it: a rollback restores from it), then plan again.`,
      ],
    });
  }
  return undefined;
}

/**
 * How a plan backs up Synapse's database: renamed aside (instant at any size) where the role may rename and create
 * databases, else pg_dump into `synapse.database.dumpDirectory` and emptied in place where the role owns what is in
 * it; `requested` forces one. Throws the refusal naming the fix (the GRANT or ALTER, or the setting) when neither
 * is possible.
 */
export function chooseDatabaseBackup(env: EnvironmentConfig, seen: ReachableSynapseDatabase, requested: DatabaseBackupRequest): DatabaseBackupChoice {
  const rename = swapRefusal({ role: seen.role.name, superuser: seen.role.superuser, createDatabase: seen.role.createDatabase, ownsDatabase: seen.role.ownsDatabase }, seen.database.name);
  const dump = dumpRefusal(env, seen);
  const directory = env.synapse.database?.dumpDirectory ?? '';
  if (requested === 'rename') {
    if (rename !== undefined) throw rename;
    return { method: 'rename', reason: 'asked for (--database-backup rename)' };
  }
  if (requested === 'dump') {
    if (dump !== undefined) throw dump;
    return { method: 'dump', directory, reason: 'asked for (--database-backup dump)' };
  }
  if (rename === undefined) return { method: 'rename', reason: `role ${seen.role.name} may rename and create databases: instant at any size` };
  if (dump === undefined) return { method: 'dump', directory, reason: `${rename.message}, so it is dumped and emptied in place instead` };
  throw new ResetError(rename.code, `${rename.message}; nor can it be dumped and emptied in place: ${dump.message}`, { nextSteps: [...rename.nextSteps, ...dump.nextSteps.map((step) => `Or, to back it up with pg_dump instead: ${step}`)] });
}

/** The plan input's backup choice (see {@link chooseDatabaseBackup}). */
export function chosenDatabaseBackup(input: PlanInput): DatabaseBackupChoice {
  return chooseDatabaseBackup(input.env, observedSynapseDatabase(input), input.databaseBackup);
}

/** `12.3 MiB`. */
export function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * How long a step waits for the last session on Synapse's database to go once its processes are stopped. Postgres
 * ends a session as soon as its client's connection closes, and the scale-down waited for every Synapse pod to be
 * gone: a session still there after this long belongs to something else (a worker left running, a psql, a job), and
 * waiting longer only delays naming it.
 */
const SESSIONS_GONE_MS = 30_000;
const POLL_MS = 500;

/**
 * Waits until no other session is on `database` (ending them when `terminate`), for at most 30 s; the number of
 * sessions it ended. The caller refuses what is left ({@link requireNoSessions}).
 */
export async function waitForNoSessions(server: Parameters<typeof sessionsOn>[0], database: string, context: StepContext, terminate: boolean): Promise<number> {
  const deadline = Date.now() + SESSIONS_GONE_MS;
  let ended = 0;
  let reported = '';
  for (;;) {
    const sessions = await sessionsOn(server, database);
    if (sessions.length === 0) return ended;
    if (terminate) {
      ended += await terminateSessions(server, database);
    } else if (Date.now() >= deadline) {
      return ended;
    } else {
      // Said once per change, not at every poll: without a terminal each progress event is a line.
      const waitingFor = `${sessions.length} session${sessions.length === 1 ? '' : 's'} on database ${database} to end`;
      if (waitingFor !== reported) context.onProgress?.({ type: 'waiting', stepId: context.step.id, waitingFor });
      reported = waitingFor;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

import { resolveSynapseDatabase, type SynapseDatabaseConnection } from '../connection/connect-synapse-database.ts';
import type { SynapseDatabaseObservation } from '../observe/observe-synapse-database.ts';
import { ResetError } from '../reset-error.ts';
import type { PlanInput, RunConnection } from './step-definition.ts';

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

import type { Kube } from '@matrix-reset/k8s-ops';
import type { SecretStore } from '@matrix-reset/secrets';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { synapseDatabaseAccess, synapseDatabaseErrorCode, type SynapseDatabaseConnection } from '../connection/connect-synapse-database.ts';
import { homeserverLocation, readHomeserverDatabase } from '../observe/observe-homeserver.ts';
import { isResetError, ResetError } from '../reset-error.ts';
import { synapseSchemaSupport } from './database-evidence.ts';

/** Where doctor's verdicts come from: `api` (one whoami per credential), `database` (Synapse's tables), `auto`. */
export type EvidenceRequest = 'auto' | 'database' | 'api';

/** The evidence a doctor run used, and why. */
export interface DoctorEvidence {
  readonly source: 'database' | 'api';
  /** Why this source: asked for, or what `auto` found (the database not configured, SQLite in a pod, an unknown schema, ...). */
  readonly reason: string;
  /** With `database`: Synapse's schema version. */
  readonly schemaVersion?: number;
}

type EvidenceTarget = Pick<EnvironmentConfig, 'name'> & Partial<Pick<EnvironmentConfig, 'synapse' | 'origin' | 'kubernetes'>>;

/** The database chosen, with its open read-only session (the caller closes it); or the API, and why. */
export type EvidenceChoice = { readonly evidence: DoctorEvidence; readonly session: SynapseDatabaseConnection } | { readonly evidence: DoctorEvidence; readonly session: undefined };

function api(reason: string): EvidenceChoice {
  return { evidence: Object.freeze({ source: 'api', reason }), session: undefined };
}

/**
 * Picks doctor's evidence. `database` and `auto` read homeserver.yaml (or `synapse.database.url`) and connect to
 * Synapse's database read-only; `auto` takes the API, saying why, when Synapse's database is not configured here
 * (neither `synapse.database` nor `synapse.homeserverConfig`), is SQLite, or does not answer, while `database`
 * refuses then (`environment_incapable`, naming the setting). A Synapse schema this version does not know falls back
 * to the API either way, saying so.
 */
export async function chooseEvidence(
  target: EvidenceTarget,
  deps: { readonly openSecretStore?: ((reference: string) => SecretStore) | undefined; readonly kube?: Kube | undefined },
  requested: EvidenceRequest,
): Promise<EvidenceChoice> {
  if (requested === 'api') return api('asked for (evidence: api)');
  const synapse = target.synapse;
  const refuse = (why: string, fix: string): never => {
    throw new ResetError('environment_incapable', `doctor --evidence database of ${target.name}: ${why}`, { nextSteps: [fix, 'Or check through the API: --evidence api (or auto).'] });
  };
  if (synapse === undefined || (synapse.database === undefined && synapse.homeserverConfig === undefined)) {
    const why = "Synapse's database is not configured here (synapse.database or synapse.homeserverConfig)";
    return requested === 'auto' ? api(why) : refuse(why, 'Give synapse.homeserverConfig (where homeserver.yaml is) or synapse.database (how to reach the database) in matrix-reset.yaml.');
  }
  if (deps.openSecretStore === undefined) {
    if (requested === 'auto') return api('no secret stores were given to read the database password with');
    throw new TypeError('doctor: database evidence needs openSecretStore');
  }
  let session: SynapseDatabaseConnection;
  try {
    const homeserver = synapse.database?.url === undefined ? await readHomeserverDatabase({ ...homeserverLocation({ synapse, kubernetes: target.kubernetes }), kube: deps.kube }) : undefined;
    if (homeserver !== undefined && homeserver.storage.engine === 'sqlite3') {
      const why = `Synapse keeps its data in SQLite (${homeserver.storage.databasePath}) inside its pod: this shape is checked through the API`;
      return requested === 'auto' ? api(why) : refuse(why, 'SQLite-backed Synapse: use --evidence api.');
    }
    const access = await synapseDatabaseAccess({ name: target.name, synapse, origin: target.origin }, deps.openSecretStore, homeserver);
    session = await access.connect({ readOnly: true, connectTimeoutMs: 5000, statementTimeoutMs: 120_000 });
  } catch (error) {
    if (!isResetError(error) || requested !== 'auto') throw error;
    const code = synapseDatabaseErrorCode(error.cause);
    return api(`Synapse's database could not be used (${code ?? error.code}): ${error.message}`);
  }
  try {
    const support = await synapseSchemaSupport(session.client);
    if (!support.supported) {
      await session.close();
      return api(`Synapse's database ${session.endpoint.database ?? ''} cannot serve as evidence: ${support.reason}; checked through the API instead`);
    }
    const reason = requested === 'database' ? 'asked for (evidence: database)' : `${session.endpoint.database ?? 'it'} answers (schema ${support.version})`;
    return { evidence: Object.freeze({ source: 'database', reason, schemaVersion: support.version }), session };
  } catch (error) {
    await session.close();
    throw error;
  }
}

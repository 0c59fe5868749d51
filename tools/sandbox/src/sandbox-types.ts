import type { PostgresMode } from './postgres-provider.ts';

/** A service the sandbox can start. */
export type SandboxService = 'synapse' | 'synapse-delegated' | 'synapse-postgres' | 'postgres' | 'ssm' | 'kube';

/**
 * Every service; `synapse-postgres` (a Synapse on a database of the sandbox's Postgres) also starts `postgres`;
 * `kube` (kube-sim, needs root) also starts `ssm`, which its ExternalSecrets read.
 */
export const SANDBOX_SERVICES: readonly SandboxService[] = Object.freeze(['synapse', 'synapse-delegated', 'synapse-postgres', 'postgres', 'ssm', 'kube']);

/** Started when `services` is not given (the CLI adds the others with `--with`). */
export const DEFAULT_SERVICES: readonly SandboxService[] = Object.freeze(['synapse', 'postgres', 'ssm']);

export type SandboxProvider = 'auto' | 'process' | 'containers';

export interface StartSandboxOptions {
  /** Where configs, data, logs, `sandbox.env` and `sandbox.json` go. Default: a fresh directory under the OS tmpdir. */
  stateDir?: string;
  /** Default `['synapse', 'postgres', 'ssm']`. */
  services?: readonly SandboxService[];
  synapse?: {
    /** Default `matrix-local.openmeet.test` (`synapse` and `synapse-delegated`; `synapse-postgres` has its own). */
    serverName?: string;
    /** `synapse` and `synapse-delegated`: default `sqlite`; `postgres` also starts the postgres service. */
    database?: 'sqlite' | 'postgres';
    /** Merged into homeserver.yaml (objects merge, other values replace, `null` deletes), e.g. `rc_login` overrides. */
    extraConfig?: Record<string, unknown>;
  };
  /** `auto` uses containers only when a Docker engine answers; default `auto`. */
  provider?: SandboxProvider;
  postgres?: {
    /** `auto`: the server on 127.0.0.1:5432 when it answers, else a private initdb cluster. Default `auto`. */
    mode?: PostgresMode;
  };
  kube?: {
    /** A kube-sim scenario, or `none` for an empty cluster (CRDs still served). Default `openmeet-dev`. */
    scenario?: string;
  };
  /** How long to wait for a runtime (Docker) to answer when `provider` is `auto`. Default 3 s. */
  containerRuntimeTimeoutMs?: number;
}

export interface SynapseEndpoint {
  url: string;
  serverName: string;
  configFile: string;
  logFile: string;
}

export interface SandboxEndpoints {
  /** Shared-secret registration is on; password login is on. */
  synapse?: SynapseEndpoint & { sharedSecretFile: string };
  /** Delegated auth (MSC3861) to a stub auth service; `authServiceSecretFile` is the secret the auth service uses on `/_synapse/mas/*` (e.g. provision_user). */
  synapseDelegated?: SynapseEndpoint & { authServiceUrl: string; authServiceSecretFile: string };
  /** Like `synapse`, on a database of the sandbox's Postgres owned by a login role of its own. */
  synapsePostgres?: SynapseEndpoint & { sharedSecretFile: string; database: SynapsePostgresDatabase };
  postgres?: {
    /** The sandbox's own database, for the code under test (`DATABASE_URL`). */
    url: string;
    database: string;
    /** The maintenance database, to create more databases. */
    adminUrl: string;
    mode: 'server' | 'cluster' | 'container';
    /** Every database the sandbox created (dropped on stop). */
    databases: string[];
    /** Every role the sandbox created (dropped on stop, with the databases they own). */
    roles?: string[];
  };
  ssm?: { url: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** kube-sim: an HTTPS Kubernetes API with real pods (`KUBECONFIG`), fault injection at `faultsUrl`. */
  kube?: { url: string; kubeconfig: string; faultsUrl: string; caFile: string; scenario: string };
}

/** The database of `synapse-postgres`, as the host reaches it. */
export interface SynapsePostgresDatabase {
  /** `postgres://<role>:<password>@127.0.0.1:5432/<name>`: it holds the password, so it is never printed. */
  url: string;
  name: string;
  role: string;
  /** The role's password (64 hex chars, mode 0600). */
  passwordFile: string;
}

/** A running sandbox. */
export interface Sandbox {
  readonly provider: 'process' | 'containers';
  readonly stateDir: string;
  readonly services: readonly SandboxService[];
  readonly endpoints: SandboxEndpoints;
  /**
   * The variables to export for code under test: secrets only as file paths, except
   * `SYNAPSE_POSTGRES_DATABASE_URL`, which holds its role's password (as the 0600 `sandbox.env` does).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Process ids of the children it started (process provider). */
  readonly pids: readonly number[];
  /** Stops every service, drops its databases, removes `sandbox.env`/`sandbox.json`. Idempotent. */
  stop(): Promise<void>;
}

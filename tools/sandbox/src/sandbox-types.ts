import type { PostgresMode } from './postgres-provider.ts';

/** A service the sandbox can start. */
export type SandboxService = 'synapse' | 'synapse-delegated' | 'postgres' | 'ssm' | 'kube';

/** Every service; `kube` (kube-sim, needs root) also starts `ssm`, which its ExternalSecrets read. */
export const SANDBOX_SERVICES: readonly SandboxService[] = Object.freeze(['synapse', 'synapse-delegated', 'postgres', 'ssm', 'kube']);

/** Started when `services` is not given (the CLI adds `synapse-delegated` with `--with`). */
export const DEFAULT_SERVICES: readonly SandboxService[] = Object.freeze(['synapse', 'postgres', 'ssm']);

export type SandboxProvider = 'auto' | 'process' | 'containers';

export interface StartSandboxOptions {
  /** Where configs, data, logs, `sandbox.env` and `sandbox.json` go. Default: a fresh directory under the OS tmpdir. */
  stateDir?: string;
  /** Default `['synapse', 'postgres', 'ssm']`. */
  services?: readonly SandboxService[];
  synapse?: {
    /** Default `matrix-local.openmeet.test` (both Synapses). */
    serverName?: string;
    /** Default `sqlite`; `postgres` also starts the postgres service. */
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
  postgres?: {
    /** The sandbox's own database, for the code under test (`DATABASE_URL`). */
    url: string;
    database: string;
    /** The maintenance database, to create more databases. */
    adminUrl: string;
    mode: 'server' | 'cluster' | 'container';
    /** Every database the sandbox created (dropped on stop). */
    databases: string[];
  };
  ssm?: { url: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** kube-sim: an HTTPS Kubernetes API with real pods (`KUBECONFIG`), fault injection at `faultsUrl`. */
  kube?: { url: string; kubeconfig: string; faultsUrl: string; caFile: string; scenario: string };
}

/** A running sandbox. */
export interface Sandbox {
  readonly provider: 'process' | 'containers';
  readonly stateDir: string;
  readonly services: readonly SandboxService[];
  readonly endpoints: SandboxEndpoints;
  /** The variables to export for code under test (no secret values, only secret file paths). */
  readonly env: Readonly<Record<string, string>>;
  /** Process ids of the children it started (process provider). */
  readonly pids: readonly number[];
  /** Stops every service, drops its databases, removes `sandbox.env`/`sandbox.json`. Idempotent. */
  stop(): Promise<void>;
}

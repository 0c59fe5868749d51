import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Kube, PortForwardHandle } from '@matrix-reset/k8s-ops';
import { kubernetesSecretStores, openSecretStore, type SecretStore, type SsmClientSource } from '@matrix-reset/secrets';
import { createSynapseClient, type SynapseClient, type SynapseClientOptions } from '@matrix-reset/synapse-admin';
import { postgresKysely, type AnyKysely } from '@matrix-reset/user-creds';
import { AdminTokenRefresher, refreshingSynapseClient, type AdminTokenEvent, type AdminTokenReading } from './admin-token-refresh.ts';
import { readConfiguredSecret } from '../config/config-reference-reading.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { requireReadyPod } from './workload-pods.ts';

export interface ConnectEnvironmentOptions {
  /** For `ssm:` references (default: a client from the AWS environment, created only when needed). */
  ssm?: SSMClient;
  /** For `env:` references (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Connections in the app database pool (default 4; a long-running service wants more). */
  appDatabasePoolSize?: number;
  /** Extra Synapse client settings (dispatcher, retry, logger). */
  synapse?: Omit<SynapseClientOptions, 'baseUrl' | 'serverName' | 'accessToken'>;
  /** Receives one event per re-read of the adminToken references (never a token), e.g. to log a token switch. */
  onAdminTokenEvent?: (event: AdminTokenEvent) => void;
}

/**
 * The live clients of one environment, built from its config. Satisfies both `ObserveDependencies` and
 * `DoctorDependencies`. `close()` ends the port-forward and the database pool.
 */
export interface EnvironmentConnection {
  readonly environment: EnvironmentConfig;
  readonly kube: Kube | undefined;
  /**
   * Carries the admin token found in the first `adminToken` target that holds one; none when no target does. The
   * same object for the connection's lifetime, always using the current token: when Synapse answers a call with
   * `unknown_token` (a full reset minted a new admin token, or it was rotated), the adminToken targets are read again
   * (one re-read at a time, automatically at most once per 5 s) and, when they hold a different token, the call is
   * retried once with it. Safe to keep in long-lived dependencies; `withAccessToken` gives an ordinary client.
   */
  readonly synapse: SynapseClient;
  /** The reference the current admin token was read from, or undefined. */
  readonly adminTokenSource: string | undefined;
  /**
   * Reads the adminToken targets again now and switches to a different token found there; resolves to whether it
   * changed. Rejects when a target cannot be read (the current token stays).
   */
  refreshAdminToken(): Promise<boolean>;
  readonly db: AnyKysely;
  readonly openSecretStore: (reference: string) => SecretStore;
  /**
   * A new Synapse client with this connection's settings (dispatcher, retry, logger), carrying `accessToken` (or
   * none): directly to `synapse.url`, or through a new port-forward to the pod, which may have been replaced since
   * the connection opened (a full reset scales Synapse down and up). The caller closes it.
   */
  openSynapse(options?: { accessToken?: string }): Promise<SynapseSession>;
  close(): Promise<void>;
}

/** A Synapse client of its own and what ends it (its port-forward, if any). */
export interface SynapseSession {
  readonly client: SynapseClient;
  close(): Promise<void>;
}

/**
 * Builds the clients an environment's config describes: a Kubernetes client restricted to its context, a Synapse
 * client (directly, or through a port-forward to the pod) carrying the stored admin token, the app database (its URL
 * read from its secret reference) and a secret-store opener. Reads, never writes.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(resolveEnvironment(await loadResetConfig(), 'dev'));
 * try { console.log((await observe(connection.environment, connection)).storage.engine); } finally { await connection.close(); }
 * ```
 */
export async function connectEnvironment(environment: EnvironmentConfig, options: ConnectEnvironmentOptions = {}): Promise<EnvironmentConnection> {
  const target = environment.kubernetes;
  const { kube, k8sOps, open } = await openStores(environment, options);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const db = await openAppDatabase(environment, open, options.appDatabasePoolSize === undefined ? {} : { max: options.appDatabasePoolSize });
    closers.push(() => db.destroy());

    let baseUrl = environment.synapse.url;
    if (baseUrl === undefined) {
      const forward = environment.synapse.portForward;
      if (forward === undefined || kube === undefined || target === undefined || k8sOps === undefined) throw new Error('config invariant: portForward needs kubernetes');
      // Without a named pod, the workload's ready pod is found for each connection: a connection made while Synapse
      // is stopped (a resume or rollback in the middle of a full reset) waits for nothing and fails, and the forward
      // reaches the new pod once there is one.
      const pod = forward.pod ?? (() => requireReadyPod(kube, { namespace: target.namespace, workload: target.workload }));
      const handle: PortForwardHandle = await k8sOps.portForwardToPod(kube, { namespace: target.namespace, pod, port: forward.port });
      closers.push(() => handle.close());
      baseUrl = handle.url;
    }

    const readAdminToken = async (): Promise<AdminTokenReading | undefined> => {
      for (const candidate of environment.adminToken) {
        const reading = await open(candidate.token).read();
        if (reading.exists && reading.value !== undefined && reading.value.length > 0) return { token: reading.value.reveal(), source: candidate.token };
      }
      return undefined;
    };
    const initial = await readAdminToken();
    const client = createSynapseClient({
      ...options.synapse,
      baseUrl,
      serverName: environment.synapse.serverName,
      ...(initial === undefined ? {} : { accessToken: initial.token }),
    });
    const openSynapse = async (sessionOptions: { accessToken?: string } = {}): Promise<SynapseSession> => {
      const token = sessionOptions.accessToken === undefined ? {} : { accessToken: sessionOptions.accessToken };
      const settings = { ...options.synapse, serverName: environment.synapse.serverName, ...token };
      if (environment.synapse.url !== undefined) return { client: createSynapseClient({ ...settings, baseUrl: environment.synapse.url }), close: async () => undefined };
      const forward = environment.synapse.portForward;
      if (forward === undefined || kube === undefined || target === undefined || k8sOps === undefined) throw new Error('config invariant: portForward needs kubernetes');
      // Found again each time: a full reset replaces the pod, and a Deployment's next one has another name.
      const pod = forward.pod ?? (await requireReadyPod(kube, { namespace: target.namespace, workload: target.workload }));
      const handle = await k8sOps.portForwardToPod(kube, { namespace: target.namespace, pod, port: forward.port });
      return { client: createSynapseClient({ ...settings, baseUrl: handle.url }), close: () => handle.close() };
    };
    const refresher = new AdminTokenRefresher({
      client,
      initial,
      read: readAdminToken,
      ...(options.onAdminTokenEvent === undefined ? {} : { onEvent: options.onAdminTokenEvent }),
    });
    // Closed first (close() runs the closers last to first): no re-read starts against closing stores.
    closers.push(async () => refresher.close());
    const synapse = refreshingSynapseClient(refresher);
    return Object.freeze({
      environment,
      kube,
      synapse,
      get adminTokenSource() {
        return refresher.source;
      },
      db,
      openSecretStore: open,
      openSynapse,
      refreshAdminToken: () => refresher.refresh(),
      close,
    });
  } catch (error) {
    await close();
    throw error;
  }
}

type K8sOpsModule = typeof import('@matrix-reset/k8s-ops');

/**
 * The Kubernetes client (only when the environment has a kubernetes: section) and the secret-store opener every
 * connection uses: `ssm:` through one lazily created SSM client, `k8s-secret:` through that cluster, `env:` through
 * `options.env`. @kubernetes/client-node and the AWS SDK load only when the environment uses them.
 */
async function openStores(
  environment: EnvironmentConfig,
  options: Pick<ConnectEnvironmentOptions, 'ssm' | 'env'>,
): Promise<{ kube: Kube | undefined; k8sOps: K8sOpsModule | undefined; open: (reference: string) => SecretStore }> {
  const target = environment.kubernetes;
  const k8sOps = target === undefined ? undefined : await import('@matrix-reset/k8s-ops');
  const kube =
    target === undefined || k8sOps === undefined
      ? undefined
      : k8sOps.createKube(k8sOps.loadKubeConfig({ context: target.context, allowedContexts: [target.context], ...(target.kubeconfig ? { kubeconfigPath: target.kubeconfig } : {}) }));
  let defaultSsm: Promise<SSMClient> | undefined;
  const ssm: SsmClientSource = options.ssm ?? (() => (defaultSsm ??= import('@aws-sdk/client-ssm').then((sdk) => new sdk.SSMClient({}))));
  const open = (reference: string): SecretStore =>
    openSecretStore(reference, {
      ...(reference.startsWith('ssm:') ? { ssm } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(kube ? { kubernetes: kubernetesSecretStores(kube) } : {}),
    });
  return { kube, k8sOps, open };
}

/** The app database of one environment and the secret stores its references name; no Synapse, no port-forward. */
export interface AppDatabaseConnection {
  readonly environment: EnvironmentConfig;
  readonly db: AnyKysely;
  readonly openSecretStore: (reference: string) => SecretStore;
  close(): Promise<void>;
}

/**
 * Opens only the app database of an environment (its URL read through the same secret stores as
 * {@link connectEnvironment}: `ssm:`, `k8s-secret:`, `dotenv:`, `env:`, `file:`), for the credential operations that
 * need nothing else. An {@link EnvironmentConnection} serves wherever this one does.
 *
 * @example
 * ```ts
 * const connection = await connectAppDatabase(resolveEnvironment(await loadResetConfig(), 'dev'));
 * try { console.table((await credsInventory(connection)).schemas); } finally { await connection.close(); }
 * ```
 */
export async function connectAppDatabase(environment: EnvironmentConfig, options: Pick<ConnectEnvironmentOptions, 'ssm' | 'env' | 'appDatabasePoolSize'> = {}): Promise<AppDatabaseConnection> {
  const { open } = await openStores(environment, options);
  const db = await openAppDatabase(environment, open, options.appDatabasePoolSize === undefined ? {} : { max: options.appDatabasePoolSize });
  return Object.freeze({ environment, db, openSecretStore: open, close: () => db.destroy() });
}

/**
 * Opens the app database an environment names: reads the connection string from its secret reference and returns a
 * Kysely pool; a reference holding nothing (or an empty value) is `config_invalid` naming the reference, its line in
 * the config and why (a variable not set, a key missing from a `.env`, ...). The caller destroys it.
 *
 * @example
 * ```ts
 * import { openSecretStore } from '@matrix-reset/secrets';
 *
 * const db = await openAppDatabase(env, (reference) => openSecretStore(reference));
 * try {
 *   console.log(await db.selectNoFrom((eb) => eb.val(1).as('one')).execute());
 * } finally {
 *   await db.destroy();
 * }
 * ```
 */
export async function openAppDatabase(environment: EnvironmentConfig, open: (reference: string) => SecretStore, options: { max?: number } = {}): Promise<AnyKysely> {
  const url = await readConfiguredSecret(
    environment,
    { field: 'appDatabase.url', reference: environment.appDatabase.url, what: "the app database's connection string", example: 'postgres://USER@HOST:5432/DATABASE' },
    open,
  );
  return postgresKysely({ connectionString: url.reveal(), ...(options.max === undefined ? {} : { max: options.max }) });
}

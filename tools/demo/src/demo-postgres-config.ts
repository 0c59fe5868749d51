import type { EnvironmentConfig } from '@matrix-reset/reset-core';
import { writeSandboxConfig } from './demo-config.ts';

/** kube-sim's `synapse-ananace` scenario (the ananace chart with an external Postgres), as the demo's configuration names it. */
export const POSTGRES_ENVIRONMENT = 'ananace-dev';
export const POSTGRES_NAMESPACE = 'matrix';
export const POSTGRES_SERVER_NAME = 'matrix-ananace.openmeet.test';
export const POSTGRES_SSM_TOKEN = '/openmeet/ananace/matrix-admin-access-token';
export const POSTGRES_SSM_USER = '/openmeet/ananace/matrix-admin-user';
/** The Deployment of Synapse's main process and the claim of its media store (kept by the full reset). */
export const POSTGRES_SYNAPSE = 'matrix-synapse';
/** The chart's worker Deployments, and not its Redis (the scenario's own advice). */
export const POSTGRES_WORKERS = 'app.kubernetes.io/name=matrix-synapse,app.kubernetes.io/component!=synapse';

/**
 * Writes the `matrix-reset.yaml` of the sandbox's kube-sim synapse-ananace environment (the demo's `--shape postgres`,
 * and the full-reset benchmark's `--shape ananace`) to `path` and returns the environment it defines: Synapse as the
 * Deployment matrix-synapse with its generic worker, homeserver.yaml's database section read from the chart's Secret
 * matrix-synapse (config.yaml), and the database reached from here at `databaseServer` (the sandbox's Postgres, where
 * the scenario made it) as the role homeserver.yaml names, its password from the chart's Secret.
 *
 * @example
 * const env = writeDemoPostgresConfig('/tmp/demo/matrix-reset.yaml', { context: 'kube-sim', kubeconfig: process.env.KUBECONFIG!, databaseServer: { host: '127.0.0.1', port: 5432 } });
 */
export function writeDemoPostgresConfig(path: string, options: { context: string; kubeconfig: string; databaseServer: { host: string; port: number } }): EnvironmentConfig {
  const ns = POSTGRES_NAMESPACE;
  const head = [
    "# Written by `matrix-reset demo --shape postgres` for the sandbox's kube-sim synapse-ananace scenario.",
    'version: 1',
    'environments:',
    `  ${POSTGRES_ENVIRONMENT}:`,
    '    kubernetes:',
    `      context: ${options.context}`,
    `      kubeconfig: ${options.kubeconfig}`,
    `      namespace: ${ns}`,
    `      workload: { kind: Deployment, name: ${POSTGRES_SYNAPSE} }`,
    `      workers: { selector: "${POSTGRES_WORKERS}" }`,
    '      restart: [{ kind: Deployment, name: openmeet-api }]',
    '    synapse:',
    '      portForward: { port: 8008 }',
    `      serverName: ${POSTGRES_SERVER_NAME}`,
    `      sharedSecret: "k8s-secret:${ns}/matrix-synapse-registration#SYNAPSE_REGISTRATION_SHARED_SECRET"`,
    '      homeserverConfig: { secret: matrix-synapse, key: config.yaml }',
    `      database: { host: ${options.databaseServer.host}, port: ${options.databaseServer.port}, password: "k8s-secret:${ns}/matrix-synapse-postgresql-external#postgres-password" }`,
  ];
  return writeSandboxConfig(path, POSTGRES_ENVIRONMENT, head, { namespace: ns, ssmToken: POSTGRES_SSM_TOKEN, ssmUser: POSTGRES_SSM_USER });
}

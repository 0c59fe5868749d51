import type { SandboxEndpoints } from './sandbox-types.ts';

/** The names of every variable a sandbox may export: a contract other packages' tests rely on. */
export const SANDBOX_ENV_NAMES = Object.freeze([
  'SYNAPSE_URL',
  'SYNAPSE_SERVER_NAME',
  'SYNAPSE_SHARED_SECRET_FILE',
  'SYNAPSE_CONFIG_FILE',
  'SYNAPSE_DELEGATED_URL',
  'SYNAPSE_DELEGATED_SERVER_NAME',
  'SYNAPSE_DELEGATED_CONFIG_FILE',
  'SYNAPSE_DELEGATED_AUTH_SECRET_FILE',
  'SYNAPSE_POSTGRES_URL',
  'SYNAPSE_POSTGRES_SERVER_NAME',
  'SYNAPSE_POSTGRES_SHARED_SECRET_FILE',
  'SYNAPSE_POSTGRES_CONFIG_FILE',
  'SYNAPSE_POSTGRES_DATABASE_URL',
  'SYNAPSE_POSTGRES_DATABASE',
  'SYNAPSE_POSTGRES_DATABASE_ROLE',
  'SYNAPSE_POSTGRES_DATABASE_PASSWORD_FILE',
  'DATABASE_URL',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'KUBECONFIG',
  'KUBE_SIM_FAULTS_URL',
  'MATRIX_RESET_SANDBOX_STATE',
] as const);

export type SandboxEnvName = (typeof SANDBOX_ENV_NAMES)[number];

/**
 * The environment a sandbox exports for its endpoints. Secrets appear only as file paths, but for
 * `SYNAPSE_POSTGRES_DATABASE_URL`, a URL with its role's password (a test connects with it as it is).
 *
 * @example
 * sandboxEnv({ ssm: { url: 'http://127.0.0.1:5000', region: 'us-east-1', accessKeyId: 'testing',
 *   secretAccessKey: 'testing' } }, '/tmp/state').AWS_ENDPOINT_URL_SSM; // 'http://127.0.0.1:5000'
 */
export function sandboxEnv(endpoints: SandboxEndpoints, stateDir: string): Partial<Record<SandboxEnvName, string>> {
  const env: Partial<Record<SandboxEnvName, string>> = {};
  if (endpoints.synapse) {
    env.SYNAPSE_URL = endpoints.synapse.url;
    env.SYNAPSE_SERVER_NAME = endpoints.synapse.serverName;
    env.SYNAPSE_SHARED_SECRET_FILE = endpoints.synapse.sharedSecretFile;
    env.SYNAPSE_CONFIG_FILE = endpoints.synapse.configFile;
  }
  if (endpoints.synapseDelegated) {
    env.SYNAPSE_DELEGATED_URL = endpoints.synapseDelegated.url;
    env.SYNAPSE_DELEGATED_SERVER_NAME = endpoints.synapseDelegated.serverName;
    env.SYNAPSE_DELEGATED_CONFIG_FILE = endpoints.synapseDelegated.configFile;
    env.SYNAPSE_DELEGATED_AUTH_SECRET_FILE = endpoints.synapseDelegated.authServiceSecretFile;
  }
  if (endpoints.synapsePostgres) {
    const { database } = endpoints.synapsePostgres;
    env.SYNAPSE_POSTGRES_URL = endpoints.synapsePostgres.url;
    env.SYNAPSE_POSTGRES_SERVER_NAME = endpoints.synapsePostgres.serverName;
    env.SYNAPSE_POSTGRES_SHARED_SECRET_FILE = endpoints.synapsePostgres.sharedSecretFile;
    env.SYNAPSE_POSTGRES_CONFIG_FILE = endpoints.synapsePostgres.configFile;
    env.SYNAPSE_POSTGRES_DATABASE_URL = database.url;
    env.SYNAPSE_POSTGRES_DATABASE = database.name;
    env.SYNAPSE_POSTGRES_DATABASE_ROLE = database.role;
    env.SYNAPSE_POSTGRES_DATABASE_PASSWORD_FILE = database.passwordFile;
  }
  if (endpoints.postgres) env.DATABASE_URL = endpoints.postgres.url;
  if (endpoints.ssm) {
    env.AWS_ENDPOINT_URL_SSM = endpoints.ssm.url;
    env.AWS_REGION = endpoints.ssm.region;
    env.AWS_ACCESS_KEY_ID = endpoints.ssm.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = endpoints.ssm.secretAccessKey;
  }
  if (endpoints.kube) {
    env.KUBECONFIG = endpoints.kube.kubeconfig;
    env.KUBE_SIM_FAULTS_URL = endpoints.kube.faultsUrl;
  }
  env.MATRIX_RESET_SANDBOX_STATE = stateDir;
  return env;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `export NAME='value'` lines, for `. <stateDir>/sandbox.env`.
 *
 * @example
 * formatEnvFile({ SYNAPSE_URL: 'http://127.0.0.1:8008' }); // "export SYNAPSE_URL='http://127.0.0.1:8008'\n"
 */
export function formatEnvFile(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/**
 * Reads `export NAME='value'` lines back (the format {@link formatEnvFile} writes).
 *
 * @example
 * parseEnvFile("export A='b'\n"); // { A: 'b' }
 */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const raw = match[2];
    env[match[1]] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll(`'\\''`, "'") : raw;
  }
  return env;
}

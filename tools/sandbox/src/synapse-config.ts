import { stringify } from 'yaml';

/** Where Synapse keeps its data. */
export type SynapseDatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; host: string; port: number; user: string; password?: string; database: string };

export interface SynapseConfigOptions {
  serverName: string;
  port: number;
  /** The state directory of this Synapse (media, keys, logs). */
  dataDir: string;
  database: SynapseDatabaseConfig;
  logConfigFile: string;
  /** Shared-secret registration: the file holding the secret. Omitted in delegated mode. */
  registrationSharedSecretFile?: string;
  /** Delegated auth (Matrix Authentication Service): where it is and the file holding the shared secret. */
  delegatedAuth?: { endpoint: string; secretFile: string };
  /** Merged over the rendered config: objects merge key by key, anything else replaces, `null` deletes a key. */
  extraConfig?: Record<string, unknown>;
}

/**
 * Settings that only make tests faster or quieter; none changes behaviour a test would assert on
 * (rate limits stay Synapse's defaults). Listed in the README.
 */
export const TEST_ONLY_SYNAPSE_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({
  bcrypt_rounds: 4,
  trusted_key_servers: [],
  suppress_key_server_warning: true,
  presence: { enabled: false },
  enable_metrics: false,
  url_preview_enabled: false,
  background_updates: { sleep_enabled: false },
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `overrides` into `base` without touching either: nested objects merge, arrays and scalars replace,
 * `null` removes the key.
 *
 * @example
 * mergeConfig({ rc_login: { address: { per_second: 1 } } }, { rc_login: { account: null } });
 */
export function mergeConfig(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    if (value === null) delete merged[key];
    else if (isPlainObject(value) && isPlainObject(current)) merged[key] = mergeConfig(current, value);
    else merged[key] = value;
  }
  return merged;
}

function databaseSection(database: SynapseDatabaseConfig): Record<string, unknown> {
  if (database.kind === 'sqlite') return { name: 'sqlite3', args: { database: database.file } };
  return {
    name: 'psycopg2',
    txn_limit: 10_000,
    args: {
      user: database.user,
      ...(database.password === undefined ? {} : { password: database.password }),
      database: database.database,
      host: database.host,
      port: database.port,
      cp_min: 1,
      cp_max: 5,
    },
  };
}

/**
 * The homeserver.yaml content (as an object) for a sandbox Synapse: one plain-HTTP listener on 127.0.0.1 serving
 * client and federation, shared-secret registration from a file (or delegated auth), Synapse's own rate limits.
 *
 * @example
 * const config = renderSynapseConfig({ serverName: 'matrix-local.openmeet.test', port: 8008, dataDir: '/tmp/s',
 *   database: { kind: 'sqlite', file: '/tmp/s/homeserver.db' }, logConfigFile: '/tmp/s/log.yaml',
 *   registrationSharedSecretFile: '/tmp/s/registration-shared-secret' });
 */
export function renderSynapseConfig(options: SynapseConfigOptions): Record<string, unknown> {
  const base: Record<string, unknown> = {
    server_name: options.serverName,
    public_baseurl: `http://127.0.0.1:${options.port}/`,
    pid_file: `${options.dataDir}/homeserver.pid`,
    listeners: [
      {
        port: options.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        resources: [{ names: ['client', 'federation'], compress: false }],
      },
    ],
    database: databaseSection(options.database),
    log_config: options.logConfigFile,
    media_store_path: `${options.dataDir}/media_store`,
    signing_key_path: `${options.dataDir}/signing.key`,
    report_stats: false,
    enable_registration: false,
    // Server notices need a sender: without this section the admin API's send_server_notice answers 400.
    server_notices: { system_mxid_localpart: 'server-notices', system_mxid_display_name: 'Server notices' },
    ...(options.registrationSharedSecretFile === undefined
      ? {}
      : { registration_shared_secret_path: options.registrationSharedSecretFile }),
    ...(options.delegatedAuth === undefined
      ? {}
      : {
          matrix_authentication_service: {
            enabled: true,
            endpoint: options.delegatedAuth.endpoint,
            secret_path: options.delegatedAuth.secretFile,
          },
        }),
    ...TEST_ONLY_SYNAPSE_SETTINGS,
  };
  return mergeConfig(base, options.extraConfig ?? {});
}

/**
 * The Python logging config Synapse reads from `log_config`: everything goes to `logFile`, nothing to stdout.
 *
 * @example
 * writeFileSync('/tmp/s/log.yaml', toYaml(renderSynapseLogConfig('/tmp/s/homeserver.log')));
 */
export function renderSynapseLogConfig(logFile: string): Record<string, unknown> {
  return {
    version: 1,
    formatters: { precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s' } },
    handlers: { file: { class: 'logging.FileHandler', formatter: 'precise', filename: logFile, encoding: 'utf8' } },
    loggers: { 'synapse.storage.SQL': { level: 'WARNING' }, twisted: { level: 'WARNING' } },
    root: { level: 'INFO', handlers: ['file'] },
    disable_existing_loggers: false,
  };
}

/**
 * YAML text for a config object.
 *
 * @example
 * toYaml({ server_name: 'example.test' }); // "server_name: example.test\n"
 */
export function toYaml(config: Record<string, unknown>): string {
  return stringify(config, { lineWidth: 0 });
}

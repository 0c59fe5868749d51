import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Kube, WorkloadId } from '@matrix-reset/k8s-ops';
import { SecretValue } from '@matrix-reset/secrets';
import { firstReadyPod } from '../connection/workload-pods.ts';
import type { EnvironmentConfig, HomeserverConfigSource } from '../config/reset-config.ts';

/**
 * Where Synapse keeps users and tokens, from homeserver.yaml's `database:` section. Only the database section is
 * kept, without its password (homeserver.yaml also holds secrets: none of them is read into this object).
 * - `sqlite3` on the workload's claim: deleting the PVC wipes users and tokens;
 * - `psycopg2`: an external Postgres: deleting the PVC does NOT invalidate a single token (only media and keys go).
 */
export type SynapseStorage =
  | {
      readonly engine: 'sqlite3';
      readonly source: string;
      readonly databasePath: string;
      /**
       * The workload's claim volume whose mount holds the file, when known: a StatefulSet's claim template
       * (`data`), or the pod template's volume naming a claim.
       */
      readonly onClaimTemplate: string | undefined;
      readonly pvcDeletionWipesUsers: boolean | 'unknown';
    }
  | {
      readonly engine: 'psycopg2';
      readonly source: string;
      readonly host: string | undefined;
      readonly port: number | undefined;
      readonly database: string | undefined;
      /** The role Synapse connects as (`database.args.user`); its password is never kept here. */
      readonly user: string | undefined;
      /** `database.args.sslmode`, as psycopg2 takes it (`require`, `verify-full`, ...). */
      readonly sslmode: string | undefined;
      readonly pvcDeletionWipesUsers: false;
    }
  | { readonly engine: 'unknown'; readonly source: string | undefined; readonly reason: string; readonly pvcDeletionWipesUsers: 'unknown' };

function describeSource(source: HomeserverConfigSource, namespace: string | undefined, pod: string | undefined): string {
  if ('file' in source) return `file ${source.file}`;
  if ('configMap' in source) return `ConfigMap ${namespace}/${source.configMap} key ${source.key}`;
  if ('secret' in source) return `Secret ${namespace}/${source.secret} key ${source.key}`;
  return `pod ${namespace}/${pod}:${source.pod}`;
}

/** The text of homeserver.yaml, or the reason it could not be read. */
async function readHomeserverYaml(
  source: HomeserverConfigSource,
  kube: Kube | undefined,
  namespace: string | undefined,
  pod: string | undefined,
  workload: WorkloadId | undefined,
): Promise<{ text: string; pod?: string } | { reason: string }> {
  if ('file' in source) {
    try {
      return { text: await readFile(source.file, 'utf8') };
    } catch (error) {
      return { reason: `cannot read ${source.file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
    }
  }
  if (kube === undefined || namespace === undefined) return { reason: 'no Kubernetes section in the environment' };
  // k8s-ops loads on use (whoever built `kube` loaded it already), not with reset-core.
  const { execInPod, isK8sOpsError, readKey } = await import('@matrix-reset/k8s-ops');
  try {
    if ('configMap' in source) {
      const value = await readKey(kube, { kind: 'ConfigMap', namespace, name: source.configMap, key: source.key });
      return value.value === undefined ? { reason: `ConfigMap ${source.configMap} has no key ${source.key}` } : { text: value.value };
    }
    if ('secret' in source) {
      const value = await readKey(kube, { kind: 'Secret', namespace, name: source.secret, key: source.key });
      return value.value === undefined ? { reason: `Secret ${source.secret} has no key ${source.key}` } : { text: value.value };
    }
    const inPod = pod ?? (workload === undefined ? undefined : await firstReadyPod(kube, { namespace, workload }));
    if (inPod === undefined) return { reason: workload === undefined ? 'no Synapse pod to read it in' : `no pod of ${workload.kind} ${namespace}/${workload.name} is ready to read it in` };
    const result = await execInPod(kube, { namespace, pod: inPod, command: ['cat', source.pod], timeoutMs: 20_000 });
    if (result.exitCode !== 0) return { reason: `cat ${source.pod} in ${inPod} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 200)}` };
    return { text: result.stdout, pod: inPod };
  } catch (error) {
    if (isK8sOpsError(error)) return { reason: `${error.code}: ${error.message}` };
    throw error;
  }
}

/**
 * Where homeserver.yaml is read from for an environment: its configured source and, for `pod`, the Synapse pod: the
 * port-forward's pod when one is configured, else the first ready pod of the workload (found when it is read).
 */
export function homeserverLocation(env: Pick<EnvironmentConfig, 'synapse' | 'kubernetes'>): {
  source: HomeserverConfigSource | undefined;
  namespace: string | undefined;
  pod: string | undefined;
  workload: WorkloadId | undefined;
} {
  return {
    source: env.synapse.homeserverConfig,
    namespace: env.kubernetes?.namespace,
    pod: env.synapse.portForward?.pod,
    workload: env.kubernetes?.workload,
  };
}

/** homeserver.yaml's storage, and for `psycopg2` the password of its `database.args` (wrapped, never in the storage). */
export interface HomeserverDatabase {
  readonly storage: SynapseStorage;
  readonly password: SecretValue | undefined;
  /** homeserver.yaml's `media_store_path`, when it was read and sets one. */
  readonly mediaStorePath: string | undefined;
  /** homeserver.yaml's inline `registration_shared_secret` (wrapped), when it was read and has one. */
  readonly registrationSharedSecret: SecretValue | undefined;
}

/** Where homeserver.yaml is read and how its SQLite file is placed: see {@link readHomeserverDatabase}. */
export interface HomeserverReadOptions {
  source: HomeserverConfigSource | undefined;
  kube: Kube | undefined;
  namespace?: string | undefined;
  pod?: string | undefined;
  /** With a `pod` source and no `pod`: homeserver.yaml is read in this workload's first ready pod. */
  workload?: WorkloadId | undefined;
  /** The claims' mount paths, to tell whether a SQLite file is on a claim. */
  claimMounts?: Readonly<Record<string, string>>;
}

/**
 * {@link observeHomeserverStorage}, keeping the psycopg2 password apart (for the connection to Synapse's database
 * only: it goes in no observation).
 */
export async function readHomeserverDatabase(options: HomeserverReadOptions): Promise<HomeserverDatabase> {
  if (options.source === undefined) {
    return { storage: { engine: 'unknown', source: undefined, reason: 'no homeserverConfig configured for this environment', pvcDeletionWipesUsers: 'unknown' }, password: undefined, mediaStorePath: undefined, registrationSharedSecret: undefined };
  }
  const read = await readHomeserverYaml(options.source, options.kube, options.namespace, options.pod, options.workload);
  const source = describeSource(options.source, options.namespace, ('pod' in read ? read.pod : undefined) ?? options.pod ?? (options.workload === undefined ? undefined : `${options.workload.kind} ${options.workload.name}`));
  if ('reason' in read) return { storage: { engine: 'unknown', source, reason: read.reason, pvcDeletionWipesUsers: 'unknown' }, password: undefined, mediaStorePath: undefined, registrationSharedSecret: undefined };
  const storage = storageFromHomeserverYaml(read.text, source, options.claimMounts);
  const mediaStorePath = mediaStore(read.text);
  const registrationSharedSecret = inlineSharedSecret(read.text);
  if (storage.engine !== 'psycopg2') return { storage, password: undefined, mediaStorePath, registrationSharedSecret };
  const password = databaseArgs(parse(read.text))['password'];
  return { storage, password: typeof password === 'string' || typeof password === 'number' ? new SecretValue(String(password)) : undefined, mediaStorePath, registrationSharedSecret };
}

function inlineSharedSecret(text: string): SecretValue | undefined {
  let value: unknown;
  try {
    value = (parse(text) as { registration_shared_secret?: unknown } | null)?.registration_shared_secret;
  } catch {
    return undefined;
  }
  return typeof value === 'string' && value.length > 0 ? new SecretValue(value) : undefined;
}

function mediaStore(text: string): string | undefined {
  try {
    const value = (parse(text) as { media_store_path?: unknown } | null)?.media_store_path;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

function databaseArgs(config: unknown): Record<string, unknown> {
  const args = (config as { database?: { args?: unknown } } | null)?.database?.args;
  return args !== null && typeof args === 'object' ? (args as Record<string, unknown>) : {};
}

/**
 * Reads homeserver.yaml (in the Synapse pod, a ConfigMap or a local file) and says where Synapse keeps its data.
 * `claimMounts` maps the workload's claim volumes (claim templates, pod volumes) to their mount paths, to tell whether a SQLite file is on the
 * PVC. Problems reading the file are reported as `engine: 'unknown'` with the reason.
 *
 * @example
 * ```ts
 * const storage = await observeHomeserverStorage({ source: { pod: '/data/homeserver.yaml' }, kube: connection.kube, namespace: 'openmeet-dev', pod: 'matrix-0', claimMounts: { data: '/data' } });
 * if (storage.engine === 'psycopg2') console.error('deleting the PVC would not invalidate tokens');
 * ```
 */
export async function observeHomeserverStorage(options: HomeserverReadOptions): Promise<SynapseStorage> {
  return (await readHomeserverDatabase(options)).storage;
}

/** Interprets homeserver.yaml's `database:` section (exported for tests and for callers holding the text). */
export function storageFromHomeserverYaml(text: string, source: string, claimMounts: Readonly<Record<string, string>> = {}): SynapseStorage {
  let config: unknown;
  try {
    config = parse(text);
  } catch {
    return { engine: 'unknown', source, reason: 'homeserver.yaml is not valid YAML', pvcDeletionWipesUsers: 'unknown' };
  }
  const database = (config as { database?: { name?: unknown } } | null)?.database;
  const name = database?.name;
  const args = databaseArgs(config);
  const field = (key: string) => (typeof args[key] === 'string' ? args[key] : undefined);
  if (name === 'psycopg2') {
    return {
      engine: 'psycopg2',
      source,
      host: field('host'),
      port: typeof args['port'] === 'number' ? args['port'] : typeof args['port'] === 'string' ? Number(args['port']) : undefined,
      database: field('database') ?? field('dbname'),
      user: field('user'),
      sslmode: field('sslmode'),
      pvcDeletionWipesUsers: false,
    };
  }
  if (database === undefined) {
    // Synapse would default to SQLite `homeserver.db`, but charts keep the database section in another file merged
    // at start (the ananace chart: its Secret's config.yaml): a guess here could plan a reset that resets nothing.
    return {
      engine: 'unknown',
      source,
      reason: 'it has no database: section (charts often keep it in another file Synapse reads too, e.g. a Secret\'s config.yaml): point synapse.homeserverConfig at the file that has it',
      pvcDeletionWipesUsers: 'unknown',
    };
  }
  if (name === 'sqlite3') {
    const path = typeof args['database'] === 'string' ? args['database'] : 'homeserver.db';
    const mounts = Object.entries(claimMounts);
    const claim = mounts.find(([, mount]) => path.startsWith(mount.endsWith('/') ? mount : `${mount}/`))?.[0];
    return {
      engine: 'sqlite3',
      source,
      databasePath: path,
      onClaimTemplate: claim,
      pvcDeletionWipesUsers: claim !== undefined ? true : mounts.length > 0 && path.startsWith('/') ? false : 'unknown',
    };
  }
  return { engine: 'unknown', source, reason: `unrecognised database engine ${JSON.stringify(name)}`, pvcDeletionWipesUsers: 'unknown' };
}

import { open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { WorkloadId, WorkloadKind } from '@matrix-reset/k8s-ops';
import type { CredentialLayout } from '@matrix-reset/user-creds';
import { resetConfigSchema, type ParsedEnvironment, type ParsedService } from './config-schema.ts';
import { isResetError, ResetError } from '../reset-error.ts';
import { deepFreeze } from '../support/deep-freeze.ts';


/** The file `loadResetConfig` looks for in the working directory. */
export const CONFIG_FILE_NAME = 'matrix-reset.yaml';

/** Where the Synapse `homeserver.yaml` is read from: a path in the Synapse pod, a ConfigMap key, or a local file. */
export type HomeserverConfigSource =
  | { readonly pod: string }
  | { readonly configMap: string; readonly key: string }
  /** A Secret's key (charts that keep the database password inline, as ESS does, keep homeserver.yaml in a Secret). */
  | { readonly secret: string; readonly key: string }
  | { readonly file: string };

export interface KubernetesTarget {
  /** The kubeconfig context; matrix-reset refuses every other context. */
  readonly context: string;
  /** A kubeconfig file (absolute); default `KUBECONFIG` or `~/.kube/config`. */
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  /** Synapse's main process: `workload: { kind, name }`, or `statefulSet: <name>` (its short form for a StatefulSet). */
  readonly workload: WorkloadId;
  /**
   * Synapse's workers (Deployments and StatefulSets a label selector names): scaled to 0 with the main process and
   * back after it. Undefined: no workers.
   */
  readonly workers: { readonly selector: string } | undefined;
  /**
   * The claim to delete; undefined: the claim holding Synapse's data, found from the workload's claims (the one whose
   * mount holds the SQLite file, else the one mounted at /data or holding the media store, else the only one).
   */
  readonly pvc: string | undefined;
  /** Workloads restarted after the admin token changes (they read it at start). */
  readonly restart: readonly { readonly kind: WorkloadKind; readonly name: string }[];
}

export interface SynapseTarget {
  /** Synapse's client/admin base URL, or undefined when it is reached through `portForward`. */
  readonly url: string | undefined;
  /** Through a port-forward: to `pod`, or (undefined) to the first ready pod of the Kubernetes workload, found at each connection. */
  readonly portForward: { readonly pod: string | undefined; readonly port: number } | undefined;
  readonly serverName: string;
  /** Secret reference of the registration shared secret (`file:`, `env:`, `ssm:`, ...). */
  readonly sharedSecret: string | undefined;
  /** The admin's localpart, as configured (`admin`). */
  readonly adminUser: string;
  /** `@<adminUser>:<serverName>`. */
  readonly adminUserId: string;
  /** Undefined: `{ pod: '/data/homeserver.yaml' }` with Kubernetes, unknown without. */
  readonly homeserverConfig: HomeserverConfigSource | undefined;
  /** How to reach a Postgres-backed Synapse's database from here; undefined: as homeserver.yaml's `database.args` say. */
  readonly database: SynapseDatabaseTarget | undefined;
}

/**
 * `synapse.database`: each field given replaces homeserver.yaml's `database.args` value; `url` replaces them all (it
 * is never given with the others). `url` and `password` are secret references, never values.
 */
export interface SynapseDatabaseTarget {
  /** Secret reference of a whole `postgres://` URL (it may hold a password). */
  readonly url: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  /** Secret reference of the password. */
  readonly password: string | undefined;
  /**
   * Where a full reset keeps its pg_dump of the database (absolute; relative to the config file as written), when
   * the role cannot rename the database aside. Undefined: no dump is possible, a plan that needs one says so.
   */
  readonly dumpDirectory: string | undefined;
}

/** One place the admin token (and optionally the admin user id) is written. References are writable stores. */
export interface AdminTokenTarget {
  readonly token: string;
  readonly user: string | undefined;
}

export interface AppDatabaseTarget {
  /** Secret reference of the connection string (it may hold a password). */
  readonly url: string;
  readonly layout: CredentialLayout;
}

/**
 * Where an environment's secret references are written: the config file and, by their path in the environment
 * (`appDatabase.url`, `synapse.sharedSecret`, `synapse.database.url`, `synapse.database.password`,
 * `adminToken[0].token`, `adminToken[0].user`), `<file>:<line>:<col>` of
 * each one, so an error found while reading one (a variable not set, a key missing from a `.env`) can point at it.
 */
export interface ConfigOrigin {
  readonly file: string;
  readonly references: Readonly<Record<string, string>>;
}

/** One environment of `matrix-reset.yaml`, validated, with references normalized. Frozen. */
export interface EnvironmentConfig {
  readonly name: string;
  /** True: the operator must type the environment's name before anything is applied. */
  readonly protected: boolean;
  readonly kubernetes: KubernetesTarget | undefined;
  readonly synapse: SynapseTarget;
  readonly adminToken: readonly AdminTokenTarget[];
  readonly appDatabase: AppDatabaseTarget;
  /** Where it was read from (undefined for an environment built in code). */
  readonly origin?: ConfigOrigin;
}

/** What a bearer token of the HTTP service may do. */
export type ServiceScope = 'credentials:ensure' | 'credentials:read' | 'runs:write' | 'read';

/** One bearer token the HTTP service accepts: its name (logged), the SHA-256 of the token (hex), its scopes. */
export interface ServiceTokenConfig {
  readonly name: string;
  readonly sha256: string;
  readonly scopes: readonly ServiceScope[];
}

/** The `service:` section: how the HTTP service (apps/http) listens, who may call it and how often. */
export interface ServiceConfig {
  /** The environment it serves; undefined: the only one the file defines (or `MATRIX_RESET_ENV`). */
  readonly environment: string | undefined;
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Host names the service answers to besides IP addresses, localhost, the listen host and cluster-internal names
   * (a name without dots, or under `.svc`): a request naming another (Host or X-Forwarded-Host) is refused, so a
   * DNS-rebinding page cannot reach it. `*.example.org` allows every name under example.org.
   */
  readonly allowedHosts: readonly string[];
  readonly tokens: readonly ServiceTokenConfig[];
  /** Per token and per instance: a bucket of `burst` requests refilled at `perMinute`. */
  readonly rateLimit: { readonly perMinute: number; readonly burst: number };
  /** Largest request body accepted (bytes). */
  readonly bodyLimitBytes: number;
  /** How long a doctor summary is served before it is recomputed. */
  readonly drift: { readonly maxAgeSeconds: number };
  /**
   * Connections to the app database per instance (default 16): a user being provisioned holds one across its Synapse
   * calls, so this bounds the provisionings one instance runs at once.
   */
  readonly databasePoolSize: number;
  /** Secret reference of the key that signs browser session cookies; undefined: a random key per process. */
  readonly sessionSecret: string | undefined;
}

/** A loaded `matrix-reset.yaml`. Frozen. */
export interface ResetConfig {
  /** The absolute path it was read from (or the name given to `parseResetConfig`). */
  readonly path: string;
  readonly version: 1;
  readonly environments: Readonly<Record<string, EnvironmentConfig>>;
  /** The HTTP service's section, when the file has one. */
  readonly service: ServiceConfig | undefined;
}

export interface LoadResetConfigOptions {
  /** The file; relative to `cwd`. Default: `matrix-reset.yaml` in `cwd`. */
  path?: string;
  /** Default `process.cwd()`. */
  cwd?: string;
}


/** The largest config file read: a real one is a few kilobytes; this bounds what a hostile one costs. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/** Aliases expanded at most (yaml's `maxAliasCount`): a few are normal, a billion laughs is refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * `:<line>:<col>` of the node at `where` (the offending key for unknown keys; the nearest existing parent for a
 * missing one), or '' when the document has no such node.
 */
function lineOf(document: Document, lines: LineCounter, where: readonly PropertyKey[], unknownKey?: string): string {
  for (let depth = where.length; depth >= 0; depth -= 1) {
    const node: unknown = depth === 0 ? document.contents : document.getIn(where.slice(0, depth), true);
    if (!isNode(node) || node.range === undefined || node.range === null) continue;
    let offset = node.range[0];
    if (depth === where.length && unknownKey !== undefined && isMap(node)) {
      const pair = node.items.find((item) => isNode(item.key) && (item.key as { value?: unknown }).value === unknownKey);
      const keyRange = isNode(pair?.key) ? pair.key.range : undefined;
      if (keyRange) offset = keyRange[0];
    }
    const at = lines.linePos(offset);
    return `:${at.line}:${at.col}`;
  }
  return '';
}

/** `environments.dev.adminToken[0].token` */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** What to write for a required field whose absence alone says little (an adminToken entry without its token). */
function requiredHint(path: readonly PropertyKey[]): string {
  const [, , section, index, field] = path;
  if (path.length === 5 && section === 'adminToken' && typeof index === 'number' && field === 'token') {
    return ': write where this admin token is kept, e.g. { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN } or { token: ssm:/app/matrix-admin-access-token }';
  }
  return '';
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): { path: readonly PropertyKey[]; message: string } {
  if (issue.code !== 'custom' && issue.code !== 'unrecognized_keys' && issue.path.length > 0 && valueAt(raw, issue.path) === undefined) {
    const required = issue.code === 'invalid_type' ? `required (expected ${issue.expected})` : 'required';
    return { path: issue.path, message: `${required}${requiredHint(issue.path)}` };
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return { path: issue.path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (check the spelling)` };
  }
  return { path: issue.path, message: issue.message };
}

/** The secret reference fields of one environment, by their path in it (the keys of {@link ConfigOrigin.references}). */
function referenceFields(parsed: ParsedEnvironment): (readonly PropertyKey[])[] {
  return [
    ...(parsed.synapse.sharedSecret === undefined ? [] : [['synapse', 'sharedSecret']]),
    ...(parsed.synapse.database?.url === undefined ? [] : [['synapse', 'database', 'url']]),
    ...(parsed.synapse.database?.password === undefined ? [] : [['synapse', 'database', 'password']]),
    ...parsed.adminToken.flatMap((target, index) => [['adminToken', index, 'token'], ...(target.user === undefined ? [] : [['adminToken', index, 'user']])]),
    ['appDatabase', 'url'],
  ];
}

function originOf(name: string, parsed: ParsedEnvironment, path: string, document: Document, lines: LineCounter): ConfigOrigin {
  const references: Record<string, string> = {};
  for (const field of referenceFields(parsed)) references[formatPath(field)] = `${path}${lineOf(document, lines, ['environments', name, ...field])}`;
  return { file: path, references };
}

function toEnvironment(name: string, parsed: ParsedEnvironment, baseDir: string, origin: ConfigOrigin): EnvironmentConfig {
  const { synapse, kubernetes } = parsed;
  const adminLocalpart = synapse.adminUser.startsWith('@') ? synapse.adminUser.slice(1, synapse.adminUser.indexOf(':')) : synapse.adminUser;
  const homeserverConfig =
    synapse.homeserverConfig === undefined
      ? kubernetes === undefined
        ? undefined
        : { pod: '/data/homeserver.yaml' }
      : 'file' in synapse.homeserverConfig
        ? { file: resolve(baseDir, synapse.homeserverConfig.file) }
        : synapse.homeserverConfig;
  return {
    name,
    protected: parsed.protected,
    kubernetes:
      kubernetes === undefined
        ? undefined
        : {
            context: kubernetes.context,
            kubeconfig: kubernetes.kubeconfig === undefined ? undefined : resolve(baseDir, kubernetes.kubeconfig),
            namespace: kubernetes.namespace,
            workload: kubernetes.workload ?? { kind: 'StatefulSet', name: kubernetes.statefulSet ?? '' },
            workers: kubernetes.workers === undefined ? undefined : { selector: kubernetes.workers.selector },
            pvc: kubernetes.pvc,
            restart: kubernetes.restart.map((target) => ({ kind: target.kind, name: target.name })),
          },
    synapse: {
      url: synapse.url?.replace(/\/+$/, ''),
      portForward: synapse.portForward === undefined ? undefined : { pod: synapse.portForward.pod, port: synapse.portForward.port },
      serverName: synapse.serverName,
      sharedSecret: synapse.sharedSecret,
      adminUser: adminLocalpart,
      adminUserId: `@${adminLocalpart}:${synapse.serverName}`,
      homeserverConfig,
      database:
        synapse.database === undefined
          ? undefined
          : {
              url: synapse.database.url,
              host: synapse.database.host,
              port: synapse.database.port,
              user: synapse.database.user,
              password: synapse.database.password,
              dumpDirectory: synapse.database.dumpDirectory === undefined ? undefined : resolve(baseDir, synapse.database.dumpDirectory),
            },
    },
    adminToken: parsed.adminToken.map((target) => ({ token: target.token, user: target.user })),
    appDatabase: { url: parsed.appDatabase.url, layout: parsed.appDatabase.layout },
    origin,
  };
}

function toService(parsed: ParsedService | undefined): ServiceConfig | undefined {
  if (parsed === undefined) return undefined;
  return {
    environment: parsed.environment,
    listen: { host: parsed.listen.host, port: parsed.listen.port },
    allowedHosts: [...parsed.allowedHosts],
    tokens: parsed.tokens.map((token) => ({ name: token.name, sha256: token.sha256, scopes: [...new Set(token.scopes)] })),
    rateLimit: { perMinute: parsed.rateLimit.perMinute, burst: parsed.rateLimit.burst },
    bodyLimitBytes: parsed.bodyLimitBytes,
    drift: { maxAgeSeconds: parsed.drift.maxAgeSeconds },
    sessionSecret: parsed.sessionSecret,
    databasePoolSize: parsed.databasePoolSize,
  };
}

/**
 * Parses and validates the text of a `matrix-reset.yaml`. `path` names the file in errors and anchors relative
 * `file:`/`dotenv:` references. Throws `config_invalid` naming the file, the line and column, the YAML path and what
 * is wrong; every problem is listed, not only the first. Aliases expanded more than 100 times are refused.
 *
 * @example
 * ```ts
 * const config = parseResetConfig(configTemplate(), { path: '/srv/app/matrix-reset.yaml' });
 * config.environments['dev']?.synapse.serverName; // 'matrix-local.openmeet.test'
 * ```
 */
export function parseResetConfig(text: string, options: { path: string }): ResetConfig {
  const path = options.path;
  const lines = new LineCounter();
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter: lines });
  if (document.errors.length > 0) {
    const lines = document.errors.map((error) => {
      const at = error.linePos?.[0];
      return `${path}${at === undefined ? '' : `:${at.line}:${at.col}`}: YAML syntax error: ${error.message.split('\n')[0] ?? error.code}`;
    });
    throw new ResetError('config_invalid', lines.join('\n'), {
      nextSteps: [`Fix the YAML at the line shown in ${path} (indentation with spaces, "key: value", quoting values containing ": " or "#").`],
    });
  }
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml throws a ReferenceError for an alias expanded too often (a "billion laughs"): a bad file, not a bug.
    if (!(error instanceof ReferenceError)) throw error;
    throw new ResetError('config_invalid', `${path}: YAML aliases expand too often (more than ${MAX_ALIAS_COUNT}): the file is refused`, {
      nextSteps: [`Write the values out in ${path} instead of repeating them through *aliases.`],
    });
  }
  const baseDir = dirname(path);
  const result = resetConfigSchema(baseDir).safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const { path: where, message } = describeIssue(issue, raw ?? {});
      const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      return `${path}${lineOf(document, lines, where, unknownKey)}: ${formatPath(where)}: ${message}`;
    });
    throw new ResetError('config_invalid', problems.join('\n'), {
      nextSteps: [`Correct ${path} as listed above; \`matrix-reset init\` writes a commented example to start from.`],
    });
  }
  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, parsed] of Object.entries(result.data.environments)) {
    environments[name] = toEnvironment(name, parsed, baseDir, originOf(name, parsed, path, document, lines));
  }
  return deepFreeze({ path, version: 1, environments, service: toService(result.data.service) });
}

/**
 * Reads `matrix-reset.yaml` from `path` (relative to `cwd`) or from the working directory, and validates it
 * ({@link parseResetConfig}). Throws `config_not_found` when there is no such file, `config_invalid` when it is
 * wrong. Secret values are never in the file: only references to where they live.
 *
 * @example
 * ```ts
 * const config = await loadResetConfig({ cwd: process.cwd() });
 * const dev = resolveEnvironment(config, 'dev');
 * ```
 */
export async function loadResetConfig(options: LoadResetConfigOptions = {}): Promise<ResetConfig> {
  const cwd = options.cwd ?? process.cwd();
  const path = options.path === undefined ? resolve(cwd, CONFIG_FILE_NAME) : isAbsolute(options.path) ? options.path : resolve(cwd, options.path);
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > CONFIG_MAX_BYTES) {
        throw new ResetError('config_invalid', `${path} is ${size} bytes, more than a config file can be (${CONFIG_MAX_BYTES})`, {
          nextSteps: [`Point --config at the matrix-reset.yaml (a few kilobytes), not another file.`],
        });
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (isResetError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ResetError('config_not_found', `No matrix-reset config at ${path}`, {
        cause: error,
        nextSteps: [
          options.path === undefined
            ? `Run \`matrix-reset init\` in ${cwd} to write a commented ${CONFIG_FILE_NAME}, or pass --config <path>.`
            : 'Check the --config path, or run `matrix-reset init` to write a commented config.',
        ],
      });
    }
    if (code === 'EACCES' || code === 'EISDIR') {
      throw new ResetError('config_invalid', `Cannot read ${path}: ${code === 'EACCES' ? 'permission denied' : 'it is a directory'}`, {
        cause: error,
        nextSteps: ['Point --config at a readable YAML file.'],
      });
    }
    throw error;
  }
  return parseResetConfig(text, { path });
}

/**
 * The environment called `name`. Throws `environment_unknown` listing the environments the file defines.
 *
 * @example
 * ```ts
 * const dev = resolveEnvironment(await loadResetConfig(), 'dev');
 * if (dev.protected) console.error(`type ${dev.name} to continue`);
 * ```
 */
export function resolveEnvironment(config: ResetConfig, name: string): EnvironmentConfig {
  const environment = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  if (environment === undefined) {
    const known = Object.keys(config.environments);
    throw new ResetError('environment_unknown', `${config.path} defines no environment ${JSON.stringify(name)}; it defines: ${known.join(', ')}`, {
      nextSteps: [`Use one of ${known.join(', ')}, or add ${name} under environments: in ${config.path}.`],
    });
  }
  return environment;
}

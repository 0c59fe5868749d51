import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSynapseConfig, renderSynapseLogConfig, synapseVenv, toYaml, type SynapseConfigOptions } from '@matrix-reset/sandbox';
import { records } from './kube-object.ts';
import { isPostgresImage, postgresBinDir, postgresCommand } from './postgres-container.ts';
import { isRedisImage, redisCommand } from './redis-container.ts';

/** What the kubelet runs for a container: a real program, inside the pod's namespaces. */
export interface ContainerPlan {
  /** Which runner: `synapse`, `postgres`, `redis`, `app` or `command`. */
  runner: string;
  command: string;
  args: string[];
  /** The container's environment (exec sessions get the same). */
  env: Record<string, string>;
  cwd: string;
  /** What stopping the container sends first (the image's STOPSIGNAL); default SIGTERM. */
  stopSignal?: NodeJS.Signals;
}

export interface PlanOptions {
  container: Record<string, unknown>;
  /** The env the pod spec resolves to (values from Secrets/ConfigMaps read now, at start). */
  env: Record<string, string>;
  /** Host directory mounted at a path inside the pod, if any. */
  hostPathFor: (mountPath: string) => string | undefined;
}

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Server name the real image's docs use when `SYNAPSE_SERVER_NAME` is not set (matrix-reset's dev default). */
export const DEFAULT_POD_SERVER_NAME = 'matrix-local.openmeet.test';

function containerPort(container: Record<string, unknown>, fallback: number): number {
  const first = records(container['ports'])[0];
  return first === undefined ? fallback : Number(first['containerPort'] ?? fallback);
}

/** True for images that run Synapse (`matrixdotorg/synapse`, `ghcr.io/element-hq/synapse`). */
export function isSynapseImage(image: string): boolean {
  return /(^|\/)matrixdotorg\/synapse(:|@|$)/.test(image) || /(^|\/)element-hq\/synapse(:|@|$)/.test(image);
}

/** True for the small app images. */
export function isAppImage(image: string): boolean {
  return /(^|\/)openmeet\/api(:|@|$)/.test(image) || /(^|\/)kube-sim\/app(:|@|$)/.test(image);
}

/**
 * The database the real image's generated config names: Postgres when `POSTGRES_PASSWORD` is set (`POSTGRES_USER`
 * default synapse, `POSTGRES_DB` default synapse, `POSTGRES_HOST` default db, `POSTGRES_PORT` default 5432, as in
 * the image's `conf/homeserver.yaml`), else SQLite at `/data/homeserver.db`.
 */
function generatedDatabase(env: Record<string, string>): SynapseConfigOptions['database'] {
  const password = env['POSTGRES_PASSWORD'] ?? '';
  if (password === '') return { kind: 'sqlite', file: '/data/homeserver.db' };
  return {
    kind: 'postgres',
    host: env['POSTGRES_HOST'] || 'db',
    port: Number(env['POSTGRES_PORT'] || '5432'),
    user: env['POSTGRES_USER'] || 'synapse',
    password,
    database: env['POSTGRES_DB'] || 'synapse',
  };
}

/**
 * Like the real image's `generate` step: writes `/data/homeserver.yaml` (the database of {@link generatedDatabase},
 * listener on 0.0.0.0:`port` inside the pod, inline `registration_shared_secret` from
 * `SYNAPSE_REGISTRATION_SHARED_SECRET` or a new random one) and its log config, unless a config is already there.
 */
async function ensureSynapseConfig(dataDir: string, env: Record<string, string>, port: number): Promise<void> {
  if (existsSync(join(dataDir, 'homeserver.yaml'))) return;
  const serverName = env['SYNAPSE_SERVER_NAME'] ?? DEFAULT_POD_SERVER_NAME;
  const config = renderSynapseConfig({
    serverName,
    port,
    dataDir: '/data',
    database: generatedDatabase(env),
    logConfigFile: `/data/${serverName}.log.config`,
    extraConfig: {
      public_baseurl: null,
      listeners: [{ port, bind_addresses: ['0.0.0.0'], type: 'http', tls: false, x_forwarded: true, resources: [{ names: ['client', 'federation'], compress: false }] }],
      signing_key_path: `/data/${serverName}.signing.key`,
      registration_shared_secret: env['SYNAPSE_REGISTRATION_SHARED_SECRET'] ?? randomBytes(24).toString('base64url'),
      report_stats: env['SYNAPSE_REPORT_STATS'] === 'yes',
    },
  });
  await writeFile(join(dataDir, 'homeserver.yaml'), toYaml(config), { mode: 0o600 });
  await writeFile(join(dataDir, `${serverName}.log.config`), toYaml(renderSynapseLogConfig('/data/homeserver.log')));
}

/** The image's Python (`python`, `python3`, `/usr/local/bin/python3`), which the venv's stands in for. */
const IMAGE_PYTHON = /^(\/usr\/local\/bin\/|\/usr\/bin\/)?python3?$/;

/**
 * Picks the runner for a container's image and prepares it: the sandbox's real Synapse (venv) for
 * `matrixdotorg/synapse*` (the image's start script unless the container names a `command`: then that command,
 * its `python` being the venv's, as in charts that run `python -m synapse.app.homeserver -c …` or a `sh -c`
 * wrapper), the machine's Postgres for `postgres` (see {@link postgresCommand}), the machine's `redis-server` for
 * `redis` and `bitnami/redis` (see {@link redisCommand}), the small env-digest app for
 * `openmeet/api` / `kube-sim/app`, otherwise the container's own `command`/`args` (or `sleep infinity`).
 *
 * @example
 * const plan = await planContainer({ container, env, hostPathFor: (p) => (p === '/data' ? volumeDir : undefined) });
 */
export async function planContainer(options: PlanOptions): Promise<ContainerPlan> {
  const { container } = options;
  const image = String(container['image'] ?? '');
  const command = (container['command'] as string[] | undefined) ?? [];
  const args = (container['args'] as string[] | undefined) ?? [];
  const cwd = String(container['workingDir'] ?? '/');
  if (isSynapseImage(image)) {
    const venv = synapseVenv();
    const env: Record<string, string> = { PATH: `${join(venv, 'bin')}:${BASE_PATH}`, PYTHONUNBUFFERED: '1', SYNAPSE_CONFIG_DIR: '/data', SYNAPSE_DATA_DIR: '/data', HOME: '/root', ...options.env };
    const dataDir = options.hostPathFor('/data');
    if (dataDir !== undefined) await ensureSynapseConfig(dataDir, env, containerPort(container, 8008));
    if (command.length > 0) {
      const program = IMAGE_PYTHON.test(command[0] ?? '') ? join(venv, 'bin', 'python') : (command[0] ?? 'true');
      return { runner: 'synapse', command: program, args: [...command.slice(1), ...args], env, cwd };
    }
    const configPath = env['SYNAPSE_CONFIG_PATH'] ?? '/data/homeserver.yaml';
    return { runner: 'synapse', command: join(venv, 'bin', 'python'), args: ['-m', 'synapse.app.homeserver', '--config-path', configPath], env, cwd: '/data' };
  }
  if (isPostgresImage(image)) {
    const bin = postgresBinDir();
    const env = { PATH: bin === undefined ? BASE_PATH : `${bin}:${BASE_PATH}`, HOME: '/var/lib/postgresql', ...options.env };
    // The image's STOPSIGNAL is SIGINT: a fast shutdown, which does not wait for clients to disconnect.
    return { runner: 'postgres', ...postgresCommand({ command, args }), env, cwd, stopSignal: 'SIGINT' };
  }
  if (isRedisImage(image)) {
    const env = { PATH: BASE_PATH, HOME: '/root', ...options.env };
    return { runner: 'redis', ...redisCommand({ command, args, env }), env, cwd };
  }
  if (isAppImage(image)) {
    const script = fileURLToPath(new URL(`./app-container${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
    const env = {
      PATH: BASE_PATH,
      HOME: '/root',
      PORT: String(containerPort(container, 3000)),
      ...options.env,
      KUBE_SIM_POD_ENV_NAMES: Object.keys(options.env).sort().join(','),
    };
    return { runner: 'app', command: process.execPath, args: [script], env, cwd };
  }
  const env = { PATH: BASE_PATH, HOME: '/root', ...options.env };
  if (command.length > 0) return { runner: 'command', command: command[0] ?? 'true', args: [...command.slice(1), ...args], env, cwd };
  if (args.length > 0) return { runner: 'command', command: args[0] ?? 'true', args: args.slice(1), env, cwd };
  return { runner: 'command', command: 'sleep', args: ['infinity'], env, cwd };
}

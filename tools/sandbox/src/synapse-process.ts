import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSupervised } from './child-process-supervisor.ts';
import { freePort } from './free-port.ts';
import { SandboxError } from './sandbox-error.ts';
import { writeSecretFile } from './secret-file.ts';
import { renderSynapseConfig, renderSynapseLogConfig, toYaml, type SynapseDatabaseConfig } from './synapse-config.ts';
import { waitUntil } from './wait-until.ts';

export interface SynapseProcessOptions {
  /** Directory for this Synapse's config, keys, media, data and logs. */
  dir: string;
  serverName: string;
  /** `sqlite` (a file in `dir`) or a Postgres database. */
  database: { kind: 'sqlite' } | Omit<Extract<SynapseDatabaseConfig, { kind: 'postgres' }>, never>;
  /** Delegated auth: the auth service's base URL (Synapse fetches its OpenID discovery document). */
  delegatedAuthEndpoint?: string;
  extraConfig?: Record<string, unknown>;
  /** The venv holding matrix-synapse; default `$MATRIX_RESET_SYNAPSE_VENV`. */
  venv?: string;
  startTimeoutMs?: number;
}

export interface SynapseService {
  /** e.g. `http://127.0.0.1:38008` (no trailing slash). */
  readonly url: string;
  readonly serverName: string;
  readonly configFile: string;
  /** Shared-secret registration secret (absent in delegated mode). */
  readonly sharedSecretFile: string | undefined;
  /** The secret Synapse shares with the auth service (delegated mode only); it is also an admin token there. */
  readonly delegatedAuthSecretFile: string | undefined;
  readonly logFile: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * The venv with matrix-synapse, from the option or `$MATRIX_RESET_SYNAPSE_VENV`; a {@link SandboxError} naming
 * `scripts/setup` when it is unset or missing.
 *
 * @example
 * const venv = synapseVenv(); // "/root/.cache/matrix-reset/synapse-venv-…"
 */
export function synapseVenv(venv: string | undefined = process.env['MATRIX_RESET_SYNAPSE_VENV']): string {
  if (venv === undefined || venv === '') {
    throw new SandboxError({
      code: 'SYNAPSE_VENV_MISSING',
      message: 'MATRIX_RESET_SYNAPSE_VENV is not set, so the sandbox cannot find Synapse',
      nextSteps: ['Run `. scripts/setup` from the repository root in this shell (it creates the venv and exports the variable)'],
    });
  }
  if (!existsSync(join(venv, 'bin', 'python'))) {
    throw new SandboxError({
      code: 'SYNAPSE_VENV_MISSING',
      message: `MATRIX_RESET_SYNAPSE_VENV=${venv} has no bin/python`,
      nextSteps: ['Run `. scripts/setup` from the repository root to (re)create the Synapse venv'],
    });
  }
  return venv;
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Renders homeserver.yaml into `dir`, starts a real Synapse from the venv and waits for `GET /health` == OK.
 * On failure the error carries the tail of Synapse's logs.
 *
 * @example
 * const synapse = await startSynapse({ dir: '/tmp/state/synapse', serverName: 'matrix-local.openmeet.test',
 *   database: { kind: 'sqlite' } });
 * await fetch(`${synapse.url}/health`);
 * await synapse.stop();
 */
export async function startSynapse(options: SynapseProcessOptions): Promise<SynapseService> {
  const venv = synapseVenv(options.venv);
  const dir = options.dir;
  await mkdir(join(dir, 'media_store'), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'homeserver.yaml');
  const logConfigFile = join(dir, 'log.config.yaml');
  const logFile = join(dir, 'homeserver.log');
  const stdioLog = join(dir, 'stdio.log');
  const delegated = options.delegatedAuthEndpoint !== undefined;
  const sharedSecretFile = delegated ? undefined : await writeSecretFile(join(dir, 'registration-shared-secret'));
  const delegatedAuthSecretFile = delegated ? await writeSecretFile(join(dir, 'auth-service-secret')) : undefined;
  const database: SynapseDatabaseConfig =
    options.database.kind === 'sqlite' ? { kind: 'sqlite', file: join(dir, 'homeserver.db') } : options.database;
  const config = renderSynapseConfig({
    serverName: options.serverName,
    port,
    dataDir: dir,
    database,
    logConfigFile,
    ...(sharedSecretFile === undefined ? {} : { registrationSharedSecretFile: sharedSecretFile }),
    ...(delegatedAuthSecretFile === undefined || options.delegatedAuthEndpoint === undefined
      ? {}
      : { delegatedAuth: { endpoint: options.delegatedAuthEndpoint, secretFile: delegatedAuthSecretFile } }),
    ...(options.extraConfig === undefined ? {} : { extraConfig: options.extraConfig }),
  });
  await writeFile(configFile, toYaml(config), { mode: 0o600 });
  await writeFile(logConfigFile, toYaml(renderSynapseLogConfig(logFile)));

  const synapse = spawnSupervised({
    name: 'synapse',
    command: join(venv, 'bin', 'python'),
    args: ['-m', 'synapse.app.homeserver', '--config-path', configFile],
    cwd: dir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    logFile: stdioLog,
  });
  try {
    await waitUntil(async () => (await (await fetch(`${url}/health`)).text()) === 'OK', {
      what: `Synapse at ${url}`,
      timeoutMs: options.startTimeoutMs ?? 90_000,
      intervalMs: 250,
      abortReason: () => (synapse.exit ? `the process exited (${JSON.stringify(synapse.exit)})` : undefined),
    });
  } catch (error) {
    await synapse.stop();
    throw new SandboxError({
      code: 'SYNAPSE_START_FAILED',
      message:
        `Synapse did not become healthy: ${(error as Error).message}\n` +
        `--- ${stdioLog} (tail) ---\n${await tail(stdioLog, 25)}\n--- ${logFile} (tail) ---\n${await tail(logFile, 25)}`,
      nextSteps: [`Read ${stdioLog} and ${logFile}`, `Check the rendered config ${configFile}`],
      cause: error,
    });
  }
  return {
    url,
    serverName: options.serverName,
    configFile,
    sharedSecretFile,
    delegatedAuthSecretFile,
    logFile,
    pid: synapse.pid,
    stop: () => synapse.stop(),
  };
}

import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startContainerSandbox } from './container-provider.ts';
import { startKubeSimProcess } from './kube-sim-process.ts';
import { startProcessSandbox } from './process-provider.ts';
import { selectProvider } from './provider-selection.ts';
import { SandboxError } from './sandbox-error.ts';
import { sandboxEnv } from './sandbox-env.ts';
import { writeSandboxRecord } from './sandbox-record.ts';
import { DEFAULT_SERVICES, SANDBOX_SERVICES, type Sandbox, type SandboxService, type StartSandboxOptions } from './sandbox-types.ts';

function checkServices(services: readonly SandboxService[]): void {
  const unknown = services.filter((service) => !SANDBOX_SERVICES.includes(service));
  if (unknown.length > 0 || services.length === 0) {
    throw new SandboxError({
      code: 'BAD_INPUT',
      message: unknown.length > 0 ? `unknown service(s): ${unknown.join(', ')}` : 'no service requested',
      nextSteps: [`Choose from: ${SANDBOX_SERVICES.join(', ')}`],
    });
  }
}

/**
 * Starts real test services (Synapse, a delegated-auth Synapse, a Synapse on Postgres, Postgres, SSM via moto,
 * and on request kube-sim) on free loopback ports,
 * writes `<stateDir>/sandbox.env` and `<stateDir>/sandbox.json`, and returns their endpoints and the
 * environment to export. Children die with this process; call `stop()` to end them and drop the databases.
 *
 * @example
 * const sandbox = await startSandbox({ services: ['synapse', 'postgres'] });
 * const health = await fetch(`${sandbox.env.SYNAPSE_URL}/health`);
 * await sandbox.stop();
 *
 * @example
 * // Synapse on Postgres, with a looser login rate limit than Synapse's default:
 * await startSandbox({ synapse: { database: 'postgres', extraConfig: { rc_login: { address: { per_second: 10, burst_count: 50 } } } } });
 */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  const requested = [...(options.services ?? DEFAULT_SERVICES)];
  checkServices(requested);
  const onPostgres = options.synapse?.database === 'postgres' || requested.includes('synapse-postgres');
  if (onPostgres && !requested.includes('postgres')) requested.push('postgres');
  if (requested.includes('kube') && !requested.includes('ssm')) requested.push('ssm');
  const services = SANDBOX_SERVICES.filter((service) => requested.includes(service));

  const stateDir =
    options.stateDir === undefined ? await mkdtemp(join(tmpdir(), 'mr-sandbox-')) : resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true });
  // The containers provider cannot start synapse-postgres, so `auto` does not choose it then.
  const requestedProvider = options.provider ?? 'auto';
  const provider =
    requestedProvider === 'auto' && services.includes('synapse-postgres')
      ? 'process'
      : await selectProvider(requestedProvider, { timeoutMs: options.containerRuntimeTimeoutMs ?? 3_000 });
  const base = services.filter((service) => service !== 'kube');
  const started =
    provider === 'process'
      ? await startProcessSandbox(stateDir, base, options)
      : await startContainerSandbox(stateDir, base, options);
  const sandbox = services.includes('kube') ? await withKube(started, options) : started;
  try {
    await writeSandboxRecord(sandbox, { supervisor: false });
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  return sandbox;
}

/**
 * Adds kube-sim to a started sandbox: a supervised `kube-sim start` in `<stateDir>/kube` whose environment carries
 * the sandbox's SSM variables, so the scenario's ExternalSecrets read the sandbox's moto. Stopped first on `stop()`.
 */
async function withKube(sandbox: Sandbox, options: StartSandboxOptions): Promise<Sandbox> {
  const scenario = options.kube?.scenario ?? 'openmeet-dev';
  let kube;
  try {
    kube = await startKubeSimProcess({ stateDir: join(sandbox.stateDir, 'kube'), scenario, env: { ...process.env, ...sandbox.env } });
  } catch (error) {
    await sandbox.stop().catch(() => undefined);
    throw error;
  }
  const endpoints = { ...sandbox.endpoints, kube: { url: kube.url, kubeconfig: kube.kubeconfig, faultsUrl: kube.faultsUrl, caFile: kube.caFile, scenario } };
  let stopping: Promise<void> | undefined;
  return {
    provider: sandbox.provider,
    stateDir: sandbox.stateDir,
    services: Object.freeze([...sandbox.services, 'kube' as const]),
    endpoints,
    env: Object.freeze({ ...sandbox.env, ...sandboxEnv(endpoints, sandbox.stateDir) }),
    pids: Object.freeze([...sandbox.pids, kube.pid]),
    stop: () => {
      stopping ??= (async () => {
        await kube.stop();
        await sandbox.stop();
      })();
      return stopping;
    },
  };
}

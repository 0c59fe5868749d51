import { readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { spawnSupervised } from './child-process-supervisor.ts';
import { SandboxError } from './sandbox-error.ts';
import { waitUntil } from './wait-until.ts';

/**
 * kube-sim's CLI entry. Run as a program, not imported: kube-sim imports the sandbox (pods are supervised
 * processes), so an import back would be a cycle.
 */
export const KUBE_SIM_BIN = fileURLToPath(new URL('../../kube-sim/bin/kube-sim.js', import.meta.url));

/** The scenario `--kube-scenario none` stands for: an empty cluster (CRDs still served). */
export const NO_KUBE_SCENARIO = 'none';

export interface KubeSimProcessOptions {
  /** kube-sim's state directory (kubeconfig, certificates, volumes, pod logs, `kube-sim.json`). */
  stateDir: string;
  /** A kube-sim scenario (`openmeet-dev`) or `none` for an empty cluster. */
  scenario: string;
  /** The environment kube-sim runs with: the sandbox's `AWS_ENDPOINT_URL_SSM` etc. for its ExternalSecrets. */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface KubeSimService {
  url: string;
  kubeconfig: string;
  faultsUrl: string;
  /** The test CA that signed the API's certificate (PEM file). */
  caFile: string;
  pid: number;
  stop(): Promise<void>;
}

interface ReadyFile {
  url: string;
  kubeconfigPath: string;
  faultsUrl: string;
}

/** The bearer token of a kubeconfig's first user. */
async function kubeconfigToken(kubeconfig: string): Promise<string> {
  const config = parseYaml(await readFile(kubeconfig, 'utf8')) as { users?: { user?: { token?: string } }[] };
  return config.users?.[0]?.user?.token ?? '';
}

/**
 * True when kube-sim's `GET /version` answers 200 over HTTPS, trusting its CA and using the kubeconfig's token.
 *
 * @example
 * await kubeApiAnswers({ url: 'https://127.0.0.1:40123', caFile: '/tmp/sb/kube/pki/ca.crt', kubeconfig: '/tmp/sb/kube/kubeconfig' });
 */
export async function kubeApiAnswers(options: { url: string; caFile: string; kubeconfig: string }): Promise<boolean> {
  let ca: string;
  let token: string;
  try {
    ca = await readFile(options.caFile, 'utf8');
    token = await kubeconfigToken(options.kubeconfig);
  } catch {
    return false;
  }
  return new Promise<boolean>((resolve) => {
    const outgoing = request(`${options.url}/version`, { ca, timeout: 3_000, headers: { authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    outgoing.on('timeout', () => outgoing.destroy());
    outgoing.on('error', () => resolve(false));
    outgoing.end();
  });
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts kube-sim (`tools/kube-sim/bin/kube-sim.js start --state-dir DIR --scenario NAME --crds all`) as a
 * supervised child and waits for its `kube-sim.json` and a healthy `/version`. `stop()` sends SIGTERM and gives
 * it time to stop every pod and remove their network namespaces.
 *
 * @example
 * const kube = await startKubeSimProcess({ stateDir: '/tmp/sb/kube', scenario: 'openmeet-dev', env: { ...process.env, ...sandbox.env } });
 * await kube.stop();
 */
export async function startKubeSimProcess(options: KubeSimProcessOptions): Promise<KubeSimService> {
  const readyFile = join(options.stateDir, 'kube-sim.json');
  await rm(readyFile, { force: true });
  const logFile = `${options.stateDir}.log`;
  const args = [KUBE_SIM_BIN, 'start', '--state-dir', options.stateDir, '--crds', 'all'];
  if (options.scenario !== NO_KUBE_SCENARIO) args.push('--scenario', options.scenario);
  const child = spawnSupervised({ name: 'kube-sim', command: process.execPath, args, env: options.env, logFile, stopGraceMs: 45_000 });
  let ready: ReadyFile | undefined;
  try {
    await waitUntil(
      async () => {
        ready ??= JSON.parse(await readFile(readyFile, 'utf8')) as ReadyFile;
        return kubeApiAnswers({ url: ready.url, caFile: join(options.stateDir, 'pki', 'ca.crt'), kubeconfig: ready.kubeconfigPath });
      },
      {
        what: 'kube-sim',
        timeoutMs: options.timeoutMs ?? 60_000,
        abortReason: () => (child.exit ? `exited (${JSON.stringify(child.exit)})` : undefined),
      },
    );
  } catch (error) {
    await child.stop();
    throw new SandboxError({
      code: 'KUBE_SIM_START_FAILED',
      message: `${(error as Error).message}\n--- ${logFile} (tail) ---\n${await tail(logFile)}`,
      nextSteps: [`Read ${logFile}`, 'kube-sim needs root (pods get their own network namespaces)'],
      cause: error,
    });
  }
  const found = ready as unknown as ReadyFile;
  return {
    url: found.url,
    kubeconfig: found.kubeconfigPath,
    faultsUrl: found.faultsUrl,
    caFile: join(options.stateDir, 'pki', 'ca.crt'),
    pid: child.pid,
    stop: () => child.stop(),
  };
}

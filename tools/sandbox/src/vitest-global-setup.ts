import { startSandbox } from './sandbox.ts';
import { SANDBOX_SERVICES } from './sandbox-types.ts';

/** When all of these are set, the services are already up (the test script ran `sandbox up` and sourced the env). */
export const REQUIRED_SANDBOX_ENV = Object.freeze(['SYNAPSE_URL', 'SYNAPSE_DELEGATED_URL', 'DATABASE_URL', 'AWS_ENDPOINT_URL_SSM']);

/**
 * Reused too when present (the test script's `sandbox up --with kube`), never required and never started here:
 * kube-sim needs root and is started per run by its own global setup (tools/kube-sim/src/vitest-global-setup.ts).
 */
export const OPTIONAL_SANDBOX_ENV = Object.freeze(['KUBECONFIG', 'KUBE_SIM_FAULTS_URL']);

/** What this setup starts when nothing runs: every service except kube-sim. */
export const GLOBAL_SETUP_SERVICES = Object.freeze(SANDBOX_SERVICES.filter((service) => service !== 'kube'));

/**
 * Vitest global setup (wired in `vitest.shared.ts` for projects with `services: true`): reuses a running sandbox
 * when its variables are in the environment (with {@link OPTIONAL_SANDBOX_ENV}, which the workers inherit as is),
 * otherwise starts one with every service but kube-sim and exports its variables
 * into `process.env` before the test workers fork, so they inherit them. The returned teardown stops it.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['tools/sandbox/src/vitest-global-setup.ts'] } });
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (REQUIRED_SANDBOX_ENV.every((name) => (process.env[name] ?? '') !== '')) return undefined;
  const sandbox = await startSandbox({ services: GLOBAL_SETUP_SERVICES });
  const previous = new Map(Object.keys(sandbox.env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, sandbox.env);
  return async () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await sandbox.stop();
  };
}

import { startSandbox } from './sandbox.ts';
import { SANDBOX_SERVICES } from './sandbox-types.ts';

/** When all of these are set, the services are already up (the test script ran `sandbox up` and sourced the env). */
export const REQUIRED_SANDBOX_ENV = Object.freeze(['SYNAPSE_URL', 'SYNAPSE_DELEGATED_URL', 'DATABASE_URL', 'AWS_ENDPOINT_URL_SSM']);

/**
 * Vitest global setup (wired in `vitest.shared.ts` for projects with `services: true`): reuses a running sandbox
 * when its variables are in the environment, otherwise starts one with every service and exports its variables
 * into `process.env` before the test workers fork, so they inherit them. The returned teardown stops it.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['tools/sandbox/src/vitest-global-setup.ts'] } });
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (REQUIRED_SANDBOX_ENV.every((name) => (process.env[name] ?? '') !== '')) return undefined;
  const sandbox = await startSandbox({ services: SANDBOX_SERVICES });
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

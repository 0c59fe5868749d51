import { readSecretFile, startSandbox, type Sandbox } from '@matrix-reset/sandbox';

/** The Synapse a benchmark talks to, and how to stop it when the benchmark started it. */
export interface BenchSynapse {
  url: string;
  serverName: string;
  /** The registration shared secret, read from the sandbox's file; kept in memory only. */
  sharedSecret: string;
  stop(): Promise<void>;
}

/**
 * Uses the Synapse named by `SYNAPSE_URL` / `SYNAPSE_SHARED_SECRET_FILE` (a running sandbox) when set,
 * otherwise starts a sandbox Synapse for the duration of the benchmark.
 *
 * @example
 * const synapse = await benchSynapse();
 * try { ... } finally { await synapse.stop(); }
 */
export async function benchSynapse(): Promise<BenchSynapse> {
  let sandbox: Sandbox | undefined;
  let env: Record<string, string | undefined> = process.env;
  if (!env.SYNAPSE_URL || !env.SYNAPSE_SHARED_SECRET_FILE) {
    process.stderr.write('bench: no SYNAPSE_URL in the environment, starting a sandbox Synapse\n');
    sandbox = await startSandbox({ services: ['synapse'] });
    env = sandbox.env;
  }
  const url = env.SYNAPSE_URL as string;
  const sharedSecret = await readSecretFile(env.SYNAPSE_SHARED_SECRET_FILE as string);
  return {
    url,
    serverName: env.SYNAPSE_SERVER_NAME ?? 'matrix-local.openmeet.test',
    sharedSecret,
    stop: async () => {
      await sandbox?.stop();
    },
  };
}

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

/** A Synapse on Postgres (the sandbox's `synapse-postgres`) and its database, and how to stop it when started here. */
export interface BenchSynapsePostgres extends BenchSynapse {
  /** Synapse's database, as its own role (the password in it): kept in memory, handed on over IPC only. */
  databaseUrl: string;
  /** Its database's name. */
  database: string;
  /** The Postgres server it runs on, as a superuser (the sandbox's `DATABASE_URL`), for the benchmark's own databases. */
  serverUrl: string;
}

/**
 * Uses the sandbox Synapse on Postgres named by `SYNAPSE_POSTGRES_URL`, `SYNAPSE_POSTGRES_SHARED_SECRET_FILE` and
 * `SYNAPSE_POSTGRES_DATABASE_URL` (with `DATABASE_URL`: a running `sandbox up --with synapse-postgres`) when set,
 * otherwise starts a sandbox with `synapse-postgres` for the duration of the benchmark.
 *
 * @example
 * const synapse = await benchSynapsePostgres();
 * try { ... } finally { await synapse.stop(); }
 */
export async function benchSynapsePostgres(): Promise<BenchSynapsePostgres> {
  let sandbox: Sandbox | undefined;
  let env: Record<string, string | undefined> = process.env;
  const names = ['SYNAPSE_POSTGRES_URL', 'SYNAPSE_POSTGRES_SHARED_SECRET_FILE', 'SYNAPSE_POSTGRES_DATABASE_URL', 'DATABASE_URL'];
  if (names.some((name) => !env[name])) {
    process.stderr.write('bench: no SYNAPSE_POSTGRES_URL / DATABASE_URL in the environment, starting a sandbox with synapse-postgres\n');
    sandbox = await startSandbox({ services: ['synapse-postgres'] });
    env = sandbox.env;
  }
  const databaseUrl = env.SYNAPSE_POSTGRES_DATABASE_URL as string;
  return {
    url: env.SYNAPSE_POSTGRES_URL as string,
    serverName: env.SYNAPSE_POSTGRES_SERVER_NAME ?? 'matrix-pg.openmeet.test',
    sharedSecret: await readSecretFile(env.SYNAPSE_POSTGRES_SHARED_SECRET_FILE as string),
    databaseUrl,
    database: env.SYNAPSE_POSTGRES_DATABASE ?? decodeURIComponent(new URL(databaseUrl).pathname.slice(1)),
    serverUrl: env.DATABASE_URL as string,
    stop: async () => {
      await sandbox?.stop();
    },
  };
}

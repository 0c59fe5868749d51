import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { startAuthServiceStub, type AuthServiceStub } from './auth-service-stub.ts';
import { startMoto, type MotoService } from './moto-process.ts';
import { startPostgres, type PostgresService } from './postgres-provider.ts';
import { sandboxEnv } from './sandbox-env.ts';
import { removeSandboxRecord } from './sandbox-record.ts';
import type { Sandbox, SandboxEndpoints, SandboxService, StartSandboxOptions, SynapseEndpoint } from './sandbox-types.ts';
import { createSynapsePostgresDatabase } from './synapse-postgres-database.ts';
import { startSynapse, synapseVenv, type SynapseService } from './synapse-process.ts';

export const DEFAULT_SERVER_NAME = 'matrix-local.openmeet.test';

/** The server name of the `synapse-postgres` service (its own, so its user ids never look like `synapse`'s). */
export const SYNAPSE_POSTGRES_SERVER_NAME = 'matrix-pg.openmeet.test';

/** Dummy AWS credentials moto accepts. */
export const SSM_DEFAULTS = Object.freeze({ region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: 'testing' });

/** The endpoint fields every Synapse has. */
function synapseEndpoint(service: SynapseService): SynapseEndpoint {
  return { url: service.url, serverName: service.serverName, configFile: service.configFile, logFile: service.logFile };
}

/**
 * Starts the requested services as local processes (the `process` provider) in `stateDir`.
 * On any failure, whatever already started is stopped before the error propagates.
 *
 * @example
 * const sandbox = await startProcessSandbox('/tmp/state', ['synapse', 'ssm'], {});
 * await sandbox.stop();
 */
export async function startProcessSandbox(
  stateDir: string,
  services: readonly SandboxService[],
  options: StartSandboxOptions,
): Promise<Sandbox> {
  const wants = (service: SandboxService): boolean => services.includes(service);
  const synapseDb = options.synapse?.database ?? 'sqlite';
  const serverName = options.synapse?.serverName ?? DEFAULT_SERVER_NAME;
  if (wants('synapse') || wants('synapse-delegated') || wants('synapse-postgres')) synapseVenv();

  const stops: (() => Promise<void>)[] = [];
  const pids: number[] = [];
  const endpoints: SandboxEndpoints = {};
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'some sandbox services did not stop cleanly');
  };
  /** Stops `service` with the others (in reverse start order) and counts its pid among the sandbox's. */
  const track = (service: { pid: number; stop(): Promise<void> }): void => {
    stops.push(() => service.stop());
    pids.push(service.pid);
  };

  try {
    let postgres: PostgresService | undefined;
    if (wants('postgres')) {
      postgres = await startPostgres({ stateDir, ...(options.postgres?.mode ? { mode: options.postgres.mode } : {}) });
      stops.push(() => postgres!.stop());
      if (postgres.pid !== undefined) pids.push(postgres.pid);
      const own = await postgres.createDatabase();
      endpoints.postgres = {
        url: own.url,
        database: own.name,
        adminUrl: postgres.adminUrl,
        mode: postgres.mode,
        databases: [own.name],
        roles: [],
      };
    }
    const synapseDatabase = async (suffix: string) => {
      if (synapseDb === 'sqlite' || postgres === undefined) return { kind: 'sqlite' as const };
      const db = await postgres.createDatabase(suffix);
      endpoints.postgres?.databases.push(db.name);
      return { kind: 'postgres' as const, host: postgres.host, port: postgres.port, user: postgres.user, database: db.name };
    };

    const started = await Promise.allSettled([
      (async (): Promise<SynapseService | undefined> => {
        if (!wants('synapse')) return undefined;
        const dir = join(stateDir, 'synapse');
        await mkdir(dir, { recursive: true });
        return startSynapse({
          dir,
          serverName,
          database: await synapseDatabase('_synapse'),
          ...(options.synapse?.extraConfig ? { extraConfig: options.synapse.extraConfig } : {}),
        });
      })(),
      (async (): Promise<{ synapse: SynapseService; stub: AuthServiceStub } | undefined> => {
        if (!wants('synapse-delegated')) return undefined;
        const dir = join(stateDir, 'synapse-delegated');
        await mkdir(dir, { recursive: true });
        const stub = await startAuthServiceStub();
        try {
          const synapse = await startSynapse({
            dir,
            serverName,
            database: await synapseDatabase('_synapse_delegated'),
            delegatedAuthEndpoint: stub.url,
            ...(options.synapse?.extraConfig ? { extraConfig: options.synapse.extraConfig } : {}),
          });
          return { synapse, stub };
        } catch (error) {
          await stub.close();
          throw error;
        }
      })(),
      (async (): Promise<MotoService | undefined> => (wants('ssm') ? startMoto({ stateDir }) : undefined))(),
      (async () => {
        if (!wants('synapse-postgres') || postgres === undefined) return undefined;
        const dir = join(stateDir, 'synapse-postgres');
        await mkdir(dir, { recursive: true });
        const { password, ...database } = await createSynapsePostgresDatabase(postgres, dir);
        endpoints.postgres?.databases.push(database.name);
        endpoints.postgres?.roles?.push(database.role);
        const synapse = await startSynapse({
          dir,
          serverName: SYNAPSE_POSTGRES_SERVER_NAME,
          database: { kind: 'postgres', host: postgres.host, port: postgres.port, user: database.role, password, database: database.name },
          ...(options.synapse?.extraConfig ? { extraConfig: options.synapse.extraConfig } : {}),
        });
        return { synapse, database };
      })(),
    ]);
    const [synapse, delegated, moto, onPostgres] = started;
    if (synapse.status === 'fulfilled' && synapse.value) {
      const service = synapse.value;
      track(service);
      endpoints.synapse = { ...synapseEndpoint(service), sharedSecretFile: service.sharedSecretFile! };
    }
    if (delegated.status === 'fulfilled' && delegated.value) {
      const { synapse: service, stub } = delegated.value;
      stops.push(() => stub.close());
      track(service);
      endpoints.synapseDelegated = {
        ...synapseEndpoint(service),
        authServiceUrl: stub.url,
        authServiceSecretFile: service.delegatedAuthSecretFile!,
      };
    }
    if (onPostgres.status === 'fulfilled' && onPostgres.value) {
      const { synapse: service, database } = onPostgres.value;
      track(service);
      endpoints.synapsePostgres = { ...synapseEndpoint(service), sharedSecretFile: service.sharedSecretFile!, database };
    }
    if (moto.status === 'fulfilled' && moto.value) {
      const service = moto.value;
      track(service);
      endpoints.ssm = { url: service.url, ...SSM_DEFAULTS };
    }
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }

  const env = Object.freeze({ ...sandboxEnv(endpoints, stateDir) }) as Readonly<Record<string, string>>;
  let stopping: Promise<void> | undefined;
  return {
    provider: 'process',
    stateDir,
    services: Object.freeze([...services]),
    endpoints,
    env,
    pids: Object.freeze(pids),
    stop: () => {
      stopping ??= (async () => {
        await removeSandboxRecord(stateDir);
        await stopAll();
      })();
      return stopping;
    },
  };
}

import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { startAuthServiceStub, type AuthServiceStub } from './auth-service-stub.ts';
import { startMoto, type MotoService } from './moto-process.ts';
import { startPostgres, type PostgresService } from './postgres-provider.ts';
import { sandboxEnv } from './sandbox-env.ts';
import { removeSandboxRecord } from './sandbox-record.ts';
import type { Sandbox, SandboxEndpoints, SandboxService, StartSandboxOptions } from './sandbox-types.ts';
import { startSynapse, synapseVenv, type SynapseService } from './synapse-process.ts';

export const DEFAULT_SERVER_NAME = 'matrix-local.openmeet.test';

/** Dummy AWS credentials moto accepts. */
export const SSM_DEFAULTS = Object.freeze({ region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: 'testing' });

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
  if (wants('synapse') || wants('synapse-delegated')) synapseVenv();

  const stops: (() => Promise<void>)[] = [];
  const pids: number[] = [];
  const endpoints: SandboxEndpoints = {};
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'some sandbox services did not stop cleanly');
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
    ]);
    const [synapse, delegated, moto] = started;
    if (synapse.status === 'fulfilled' && synapse.value) {
      const service = synapse.value;
      stops.push(() => service.stop());
      pids.push(service.pid);
      endpoints.synapse = {
        url: service.url,
        serverName: service.serverName,
        configFile: service.configFile,
        logFile: service.logFile,
        sharedSecretFile: service.sharedSecretFile!,
      };
    }
    if (delegated.status === 'fulfilled' && delegated.value) {
      const { synapse: service, stub } = delegated.value;
      stops.push(() => stub.close());
      stops.push(() => service.stop());
      pids.push(service.pid);
      endpoints.synapseDelegated = {
        url: service.url,
        serverName: service.serverName,
        configFile: service.configFile,
        logFile: service.logFile,
        authServiceUrl: stub.url,
        authServiceSecretFile: service.delegatedAuthSecretFile!,
      };
    }
    if (moto.status === 'fulfilled' && moto.value) {
      const service = moto.value;
      stops.push(() => service.stop());
      pids.push(service.pid);
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

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GenericContainer, Network, TestContainers, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { startAuthServiceStub } from './auth-service-stub.ts';
import { SSM_DEFAULTS, DEFAULT_SERVER_NAME } from './process-provider.ts';
import { postgresUrl } from './postgres-provider.ts';
import { SandboxError } from './sandbox-error.ts';
import { sandboxEnv } from './sandbox-env.ts';
import { removeSandboxRecord } from './sandbox-record.ts';
import type { Sandbox, SandboxEndpoints, SandboxService, StartSandboxOptions } from './sandbox-types.ts';
import { readSecretFile, writeSecretFile } from './secret-file.ts';
import { renderSynapseConfig, renderSynapseLogConfig, toYaml, type SynapseDatabaseConfig } from './synapse-config.ts';
import { randomBytes } from 'node:crypto';

/** Images of the containers provider. */
export const CONTAINER_IMAGES = Object.freeze({
  synapse: 'matrixdotorg/synapse:v1.163.2',
  postgres: 'postgres:16',
  moto: 'motoserver/moto:latest',
});

const SYNAPSE_PORT = 8008;

/**
 * Starts the services as containers (the `containers` provider): the same endpoints and env as the process
 * provider, with ports published on the host's loopback. Needs a reachable Docker engine; `selectProvider`
 * checks that first.
 *
 * @example
 * const sandbox = await startContainerSandbox('/tmp/state', ['synapse', 'postgres'], {});
 * await sandbox.stop();
 */
export async function startContainerSandbox(
  stateDir: string,
  services: readonly SandboxService[],
  options: StartSandboxOptions,
): Promise<Sandbox> {
  const wants = (service: SandboxService): boolean => services.includes(service);
  if (wants('synapse-postgres')) {
    throw new SandboxError({
      code: 'SERVICE_UNSUPPORTED',
      message: 'the containers provider cannot start synapse-postgres yet (only the process provider makes its role and database)',
      nextSteps: ["Use provider 'process' or 'auto' (which picks process for synapse-postgres)", 'Or leave out synapse-postgres'],
    });
  }
  const serverName = options.synapse?.serverName ?? DEFAULT_SERVER_NAME;
  const stops: (() => Promise<unknown>)[] = [];
  const endpoints: SandboxEndpoints = {};
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };

  try {
    const network: StartedNetwork = await new Network().start();
    stops.push(() => network.stop());
    const prefix = `mr_sandbox_${randomBytes(5).toString('hex')}`;
    let postgres: StartedTestContainer | undefined;
    const createDatabase = async (name: string): Promise<void> => {
      const result = await postgres!.exec([
        'psql', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c',
        `CREATE DATABASE "${name}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
      ]);
      if (result.exitCode !== 0) throw new Error(`creating database ${name} failed: ${result.output}`);
    };
    if (wants('postgres')) {
      postgres = await new GenericContainer(CONTAINER_IMAGES.postgres)
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withNetwork(network)
        .withNetworkAliases('postgres')
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      const started = postgres;
      stops.push(() => started.stop());
      await createDatabase(prefix);
      const host = { host: started.getHost(), port: started.getMappedPort(5432), user: 'postgres' };
      endpoints.postgres = {
        url: postgresUrl(host, prefix),
        database: prefix,
        adminUrl: postgresUrl(host, 'postgres'),
        mode: 'container',
        databases: [prefix],
      };
    }

    const startSynapseContainer = async (
      name: 'synapse' | 'synapse-delegated',
      delegatedEndpoint: string | undefined,
    ): Promise<{ url: string; configFile: string; secretFile: string; logFile: string }> => {
      const dir = join(stateDir, name);
      await mkdir(dir, { recursive: true });
      const secretFile = await writeSecretFile(join(dir, delegatedEndpoint ? 'auth-service-secret' : 'registration-shared-secret'));
      let database: SynapseDatabaseConfig = { kind: 'sqlite', file: '/data/homeserver.db' };
      if (options.synapse?.database === 'postgres' && postgres) {
        const db = `${prefix}_${name.replace('-', '_')}`;
        await createDatabase(db);
        endpoints.postgres?.databases.push(db);
        database = { kind: 'postgres', host: 'postgres', port: 5432, user: 'postgres', database: db };
      }
      const inContainer = (host: string) =>
        renderSynapseConfig({
          serverName,
          port: SYNAPSE_PORT,
          dataDir: '/data',
          database,
          logConfigFile: '/data/log.config.yaml',
          ...(delegatedEndpoint
            ? { delegatedAuth: { endpoint: delegatedEndpoint, secretFile: host } }
            : { registrationSharedSecretFile: host }),
          ...(options.synapse?.extraConfig ? { extraConfig: options.synapse.extraConfig } : {}),
        });
      const containerConfig = inContainer('/data/secret');
      (containerConfig['listeners'] as { bind_addresses: string[] }[])[0]!.bind_addresses = ['0.0.0.0'];
      const configFile = join(dir, 'homeserver.yaml');
      // The host copy points at the host's secret file, so `register_new_matrix_user -c` works from the host.
      await writeFile(configFile, toYaml(inContainer(secretFile)), { mode: 0o600 });
      const container = await new GenericContainer(CONTAINER_IMAGES.synapse)
        .withNetwork(network)
        .withEnvironment({ SYNAPSE_CONFIG_PATH: '/data/homeserver.yaml' })
        .withCopyContentToContainer([
          { content: toYaml(containerConfig), target: '/data/homeserver.yaml' },
          { content: toYaml(renderSynapseLogConfig('/data/homeserver.log')), target: '/data/log.config.yaml' },
          { content: await readSecretFile(secretFile), target: '/data/secret', mode: 0o600 },
        ])
        .withExposedPorts(SYNAPSE_PORT)
        .withWaitStrategy(Wait.forHttp('/health', SYNAPSE_PORT).forStatusCode(200))
        .withStartupTimeout(120_000)
        .start();
      stops.push(() => container.stop());
      const url = `http://${container.getHost()}:${container.getMappedPort(SYNAPSE_PORT)}`;
      return { url, configFile, secretFile, logFile: `container ${container.getId()}:/data/homeserver.log` };
    };

    if (wants('synapse')) {
      const synapse = await startSynapseContainer('synapse', undefined);
      endpoints.synapse = {
        url: synapse.url,
        serverName,
        configFile: synapse.configFile,
        logFile: synapse.logFile,
        sharedSecretFile: synapse.secretFile,
      };
    }
    if (wants('synapse-delegated')) {
      const stub = await startAuthServiceStub();
      stops.push(() => stub.close());
      const stubPort = Number(new URL(stub.url).port);
      await TestContainers.exposeHostPorts(stubPort);
      const synapse = await startSynapseContainer('synapse-delegated', `http://host.testcontainers.internal:${stubPort}/`);
      endpoints.synapseDelegated = {
        url: synapse.url,
        serverName,
        configFile: synapse.configFile,
        logFile: synapse.logFile,
        authServiceUrl: stub.url,
        authServiceSecretFile: synapse.secretFile,
      };
    }
    if (wants('ssm')) {
      const moto = await new GenericContainer(CONTAINER_IMAGES.moto)
        .withExposedPorts(5000)
        .withWaitStrategy(Wait.forHttp('/moto-api/data.json', 5000))
        .start();
      stops.push(() => moto.stop());
      endpoints.ssm = { url: `http://${moto.getHost()}:${moto.getMappedPort(5000)}`, ...SSM_DEFAULTS };
    }
  } catch (error) {
    await stopAll();
    if (error instanceof SandboxError) throw error;
    throw new SandboxError({
      code: 'CONTAINER_START_FAILED',
      message: `the containers provider could not start the sandbox: ${(error as Error).message}`,
      nextSteps: ["Check the Docker engine (docker info), or use provider 'process'"],
      cause: error,
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    provider: 'containers',
    stateDir,
    services: Object.freeze([...services]),
    endpoints,
    env: Object.freeze({ ...sandboxEnv(endpoints, stateDir) }) as Readonly<Record<string, string>>,
    pids: Object.freeze([]),
    stop: () => {
      stopping ??= (async () => {
        await removeSandboxRecord(stateDir);
        await stopAll();
      })();
      return stopping;
    },
  };
}

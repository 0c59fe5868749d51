import { join } from 'node:path';
import { scaleWorkload, waitForWorkloadPodsGone, waitForWorkloadReady, type Kube, type WorkloadId } from '@matrix-reset/k8s-ops';
import { doctor, ResetError, type EnvironmentConnection } from '@matrix-reset/reset-core';
import { sql } from 'kysely';
import { POSTGRES_NAMESPACE, POSTGRES_SSM_TOKEN, POSTGRES_SSM_USER, POSTGRES_SYNAPSE, writeDemoPostgresConfig } from './demo-postgres-config.ts';
import type { DemoShape } from './demo-shape.ts';

/** Every Synapse process of the scenario, main first: the worker restarts until the main process has made the schema. */
const PROCESSES: readonly WorkloadId[] = [
  { kind: 'Deployment', name: POSTGRES_SYNAPSE },
  { kind: 'Deployment', name: `${POSTGRES_SYNAPSE}-generic-worker` },
];

/** The server of a `postgres://` URL (the sandbox's DATABASE_URL), as synapse.database names it. */
function serverOf(url: string | undefined): { host: string; port: number } {
  if (url === undefined || url === '') throw new Error('the sandbox printed no DATABASE_URL');
  const parsed = new URL(url);
  return { host: parsed.hostname === 'localhost' ? '127.0.0.1' : parsed.hostname, port: Number(parsed.port || '5432') };
}

async function waitForProcesses(kube: Kube, timeoutMs: number): Promise<void> {
  for (const workload of PROCESSES) await waitForWorkloadReady(kube, { namespace: POSTGRES_NAMESPACE, workload, timeoutMs });
}

/** Synapse's database as the doctor reads it from homeserver.yaml and the server (name and what it was made with). */
async function synapseDatabase(connection: EnvironmentConnection): Promise<{ name: string; owner: string; encoding: string; collate: string; ctype: string }> {
  const seen = (await doctor(connection.environment, connection, { storage: true })).storage?.database;
  if (seen?.reachable !== true) {
    throw new ResetError('environment_incapable', `The demo cannot reach Synapse's database: ${seen?.reachable === false ? seen.error.message : 'homeserver.yaml names no Postgres database'}`, {
      nextSteps: ['Run `node apps/cli/bin/run.js doctor --config <the demo config>` with the sandbox kept (--keep) to see why'],
    });
  }
  return seen.database;
}

/**
 * The ananace chart's shape with an external Postgres, kube-sim's synapse-ananace: Synapse as Deployment
 * matrix-synapse and a generic worker (stopped by the workers selector), its data in the database ks_<hex>_synapse on
 * the sandbox's Postgres, its media on the claim matrix-synapse. The incident: Synapse's database wiped (dropped
 * and made again empty, as a reinstall that recreates the external database does); Synapse comes back with an empty
 * schema, so every stored token is dead.
 *
 * @example
 * const environment = await postgresShape.writeConfig(join(stateDir, 'matrix-reset.yaml'), { stateDir, kube, kubeconfig, env: sandboxEnv });
 * await postgresShape.waitForSynapse(kube);
 */
export const postgresShape: DemoShape = {
  name: 'postgres',
  kubeScenario: 'synapse-ananace',
  sandboxDescription: "kube-sim with synapse-ananace: Synapse and a worker as Deployments, on the sandbox's Postgres",
  namespace: POSTGRES_NAMESPACE,
  ssm: { token: POSTGRES_SSM_TOKEN, user: POSTGRES_SSM_USER },
  claim: POSTGRES_SYNAPSE,
  postgres: true,
  writeConfig: async (path, sandbox) =>
    writeDemoPostgresConfig(path, { context: sandbox.kube.config.getCurrentContext(), kubeconfig: sandbox.kubeconfig, databaseServer: serverOf(sandbox.env['DATABASE_URL']) }),
  waitForSynapse: (kube) => waitForProcesses(kube, 180_000),
  incident: {
    title: "Synapse's database wiped",
    announce: `scale ${PROCESSES.map((p) => p.name).join(' and ')} to 0, drop Synapse's database and make it again empty, scale back to 1 (Synapse starts empty)`,
    async cause(kube, connection, say) {
      const database = await synapseDatabase(connection);
      for (const workload of PROCESSES) await scaleWorkload(kube, { namespace: POSTGRES_NAMESPACE, workload, replicas: 0 });
      for (const workload of PROCESSES) await waitForWorkloadPodsGone(kube, { namespace: POSTGRES_NAMESPACE, workload, timeoutMs: 60_000 });
      // On the sandbox's Postgres, where the scenario made Synapse's database, as the app database's (super)user.
      await sql`DROP DATABASE ${sql.id(database.name)} WITH (FORCE)`.execute(connection.db);
      await sql`CREATE DATABASE ${sql.id(database.name)} OWNER ${sql.id(database.owner)} ENCODING ${sql.lit(database.encoding)}
        LC_COLLATE ${sql.lit(database.collate)} LC_CTYPE ${sql.lit(database.ctype)} TEMPLATE template0`.execute(connection.db);
      for (const workload of PROCESSES) await scaleWorkload(kube, { namespace: POSTGRES_NAMESPACE, workload, replicas: 1 });
      await waitForProcesses(kube, 180_000);
      say(`   ${POSTGRES_SYNAPSE} and its worker are ready again, on an empty ${database.name}`);
      return `scaled ${PROCESSES.map((p) => `Deployment ${p.name}`).join(' and ')} to 0, dropped database ${database.name} and made it again empty (owner ${database.owner}, ${database.encoding}, ${database.collate}), scaled back to 1`;
    },
  },
  explore: (stateDir, configFile) => [
    `. ${join(stateDir, 'sandbox.env')}   # KUBECONFIG, DATABASE_URL, AWS_ENDPOINT_URL_SSM, ...`,
    `kubectl -n ${POSTGRES_NAMESPACE} get deployments,pods,pvc,secrets,externalsecrets`,
    `psql "$DATABASE_URL" -c "select datname, pg_get_userbyid(datdba) as owner from pg_database where datname like 'ks\\_%\\_synapse%'"   # Synapse's database and its backup`,
    `psql "$DATABASE_URL" -c 'select id, "matrixUserId", "matrixAccessToken" is not null as has_token, "matrixDeviceId" from tenant_alpha.users'`,
    `kubectl -n ${POSTGRES_NAMESPACE} port-forward deployment/${POSTGRES_SYNAPSE} 8008:8008 & curl -s http://127.0.0.1:8008/_synapse/admin/v1/server_version`,
    `aws --region "$AWS_REGION" ssm get-parameters-by-path --path /openmeet/ananace --with-decryption --query "Parameters[].[Name,Version]"`,
    `node apps/cli/bin/run.js doctor --config ${configFile}`,
    `scripts/sandbox down --state-dir ${stateDir}   # when you are done`,
  ],
};

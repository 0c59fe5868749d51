import { scaleStatefulSet, waitForStatefulSetPodsGone, waitForStatefulSetReady } from '@matrix-reset/k8s-ops';
import { postgresShape, sqliteShape, writeSandboxConfig, type DemoShape } from '@matrix-reset/demo';
import { doctor, type EnvironmentConnection } from '@matrix-reset/reset-core';
import pg from 'pg';

/** What the full-reset benchmark needs of a Synapse deployment: the demo's shapes, and ESS's of its own. */
export type FullResetShape = Pick<DemoShape, 'kubeScenario' | 'sandboxDescription' | 'namespace' | 'ssm' | 'writeConfig' | 'waitForSynapse' | 'incident'>;

export const FULL_RESET_SHAPES = ['sqlite', 'ananace', 'ess'] as const;
export type FullResetShapeName = (typeof FULL_RESET_SHAPES)[number];

const ESS = 'ess';
const ESS_SYNAPSE = 'ess-synapse-main';
const ESS_GENERATED = `k8s-secret:${ESS}/ess-generated`;

/** Synapse's database as the doctor reads it (homeserver.yaml, then the server): what a replacement is made like. */
async function synapseDatabase(connection: EnvironmentConnection): Promise<{ name: string; owner: string; encoding: string; collate: string; ctype: string }> {
  const seen = (await doctor(connection.environment, connection, { storage: true })).storage?.database;
  if (seen?.reachable !== true) throw new Error(`the bench cannot reach Synapse's database: ${seen?.reachable === false ? seen.error.message : 'homeserver.yaml names no Postgres database'}`);
  return seen.database;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Where the ess shape keeps the admin token and its user in SSM. */
const ESS_SSM = Object.freeze({ token: '/openmeet/ess/matrix-admin-access-token', user: '/openmeet/ess/matrix-admin-user' });

/**
 * Element Server Suite's shape, kube-sim's synapse-ess: Synapse as StatefulSet ess-synapse-main beside a Postgres of
 * its own (StatefulSet ess-postgres), reached from here at its Service's ClusterIP as `postgres` (password in Secret
 * ess-generated), homeserver.yaml read from Secret ess-synapse. The incident, as the demo's Postgres one: Synapse
 * stopped, its database `synapse` dropped and made again empty, Synapse started on it.
 *
 * @example
 * const environment = await essShape.writeConfig(join(stateDir, 'matrix-reset.yaml'), { stateDir, kube, kubeconfig, env });
 */
export const essShape: FullResetShape = {
  kubeScenario: 'synapse-ess',
  sandboxDescription: 'kube-sim synapse-ess: Synapse StatefulSet beside a Postgres StatefulSet',
  namespace: ESS,
  ssm: ESS_SSM,
  async writeConfig(path, sandbox) {
    const service = await sandbox.kube.core.readNamespacedService({ namespace: ESS, name: 'ess-postgres' });
    const host = service.spec?.clusterIP;
    if (host === undefined) throw new Error('Service ess/ess-postgres has no ClusterIP');
    const head = [
      "# Written by the full-reset benchmark for the sandbox's kube-sim synapse-ess scenario.",
      'version: 1',
      'environments:',
      '  ess-dev:',
      '    kubernetes:',
      `      context: ${sandbox.kube.config.getCurrentContext()}`,
      `      kubeconfig: ${sandbox.kubeconfig}`,
      `      namespace: ${ESS}`,
      `      statefulSet: ${ESS_SYNAPSE}`,
      '      restart: [{ kind: Deployment, name: openmeet-api }]',
      '    synapse:',
      `      portForward: { pod: ${ESS_SYNAPSE}-0, port: 8008 }`,
      '      serverName: matrix-ess.openmeet.test',
      `      sharedSecret: "${ESS_GENERATED}#SYNAPSE_REGISTRATION_SHARED_SECRET"`,
      '      homeserverConfig: { secret: ess-synapse, key: homeserver.yaml }',
      `      database: { host: ${host}, port: 5432, user: postgres, password: "${ESS_GENERATED}#POSTGRES_ADMIN_PASSWORD" }`,
    ];
    return writeSandboxConfig(path, 'ess-dev', head, { namespace: ESS, ssmToken: ESS_SSM.token, ssmUser: ESS_SSM.user });
  },
  async waitForSynapse(kube) {
    await waitForStatefulSetReady(kube, { namespace: ESS, name: 'ess-postgres', timeoutMs: 180_000 });
    await waitForStatefulSetReady(kube, { namespace: ESS, name: ESS_SYNAPSE, timeoutMs: 180_000 });
  },
  incident: {
    title: "Synapse's database wiped",
    announce: `scale ${ESS_SYNAPSE} to 0, drop database synapse and make it again empty, scale back to 1`,
    async cause(kube, connection) {
      const database = await synapseDatabase(connection);
      const password = (await connection.openSecretStore(`${ESS_GENERATED}#POSTGRES_ADMIN_PASSWORD`).read()).value?.reveal();
      const service = await kube.core.readNamespacedService({ namespace: ESS, name: 'ess-postgres' });
      await scaleStatefulSet(kube, { namespace: ESS, name: ESS_SYNAPSE, replicas: 0 });
      await waitForStatefulSetPodsGone(kube, { namespace: ESS, name: ESS_SYNAPSE, timeoutMs: 60_000 });
      const client = new pg.Client({ host: service.spec?.clusterIP, port: 5432, user: 'postgres', password, database: 'postgres' });
      await client.connect();
      try {
        const name = quoteIdentifier(database.name);
        await client.query(`DROP DATABASE ${name} WITH (FORCE)`);
        await client.query(
          `CREATE DATABASE ${name} OWNER ${quoteIdentifier(database.owner)} ENCODING ${quoteLiteral(database.encoding)} LC_COLLATE ${quoteLiteral(database.collate)} LC_CTYPE ${quoteLiteral(database.ctype)} TEMPLATE template0`,
        );
      } finally {
        await client.end();
      }
      await scaleStatefulSet(kube, { namespace: ESS, name: ESS_SYNAPSE, replicas: 1 });
      await waitForStatefulSetReady(kube, { namespace: ESS, name: ESS_SYNAPSE, timeoutMs: 180_000 });
      return `dropped database ${database.name} and made it again empty`;
    },
  },
};

/**
 * The benchmark's shapes: `sqlite` (kube-sim openmeet-dev, the demo's), `ananace` (synapse-ananace, the demo's
 * `--shape postgres`), `ess` (synapse-ess).
 *
 * @example
 * const shape = FULL_RESET_SHAPE_TABLE['ananace'];
 */
export const FULL_RESET_SHAPE_TABLE: Readonly<Record<FullResetShapeName, FullResetShape>> = { sqlite: sqliteShape, ananace: postgresShape, ess: essShape };

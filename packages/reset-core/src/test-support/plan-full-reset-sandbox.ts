import { synapseDeployment, synapseWorkerDeployment, SYNAPSE_DEPLOYMENT_CLAIM } from './synapse-deployment.ts';
import { synapseStatefulSet } from './synapse-statefulset.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createKube, loadKubeConfig, portForwardToPod, waitForRollout, waitForStatefulSetReady, waitForWorkloadReady, type Kube, type WorkloadId } from '@matrix-reset/k8s-ops';
import { openSecretStore } from '@matrix-reset/secrets';
import { createSynapseClient } from '@matrix-reset/synapse-admin';
import { connectEnvironment, type EnvironmentConnection } from '../connection/connect-environment.ts';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '../config/reset-config.ts';
import { requireReadyPod } from '../connection/workload-pods.ts';
import { createOpenmeetTenant, ensureTestDb, insertAppUser } from './ensure-fixtures.ts';

const SERVER_NAME = 'matrix-local.openmeet.test';

/**
 * A namespace with a real Synapse (a StatefulSet `matrix` on its claim template, or a Deployment `matrix-synapse` on
 * claim `matrix-synapse-data` with a worker Deployment), an API Deployment fed by an ExternalSecret from SSM, and an
 * app tenant.
 */
export interface FullResetSandbox {
  readonly kube: Kube;
  readonly namespace: string;
  /** Synapse's main workload. */
  readonly workload: WorkloadId;
  /** Its workers (the Deployment sandbox's one worker; none for the StatefulSet). */
  readonly workers: readonly WorkloadId[];
  readonly environment: EnvironmentConfig;
  /** The `matrix-reset.yaml` text of {@link environment} (its one environment is named after the namespace). */
  readonly configYaml: string;
  readonly schema: string;
  readonly keys: readonly number[];
  /** The users' tokens and the old admin token, issued by the Synapse before the reset. */
  readonly oldTokens: readonly string[];
  readonly references: { readonly ssmToken: string; readonly ssmUser: string; readonly k8sToken: string; readonly k8sUser: string };
  /** With `moreTargets`: a `.env` file and a plain (unmanaged) Secret that also receive the admin token and user. */
  readonly moreTargets: MoreTargets | undefined;
  /** The registration shared secret of the pod's Synapse (to scan outputs for it). */
  readonly sharedSecret: string;
  /** A client on the pod's Synapse through a fresh port-forward. */
  withSynapse<T>(fn: (baseUrl: string) => Promise<T>): Promise<T>;
  apiPodNames(): Promise<string[]>;
  connect(): Promise<EnvironmentConnection>;
}

export interface MoreTargets {
  readonly dotenvPath: string;
  readonly dotenvToken: string;
  readonly dotenvUser: string;
  /** Secret `admin-plain` in the sandbox's namespace, written by nobody but matrix-reset. */
  readonly plainSecretName: string;
  readonly plainToken: string;
  readonly plainUser: string;
}

/**
 * Plants the full-reset sandbox in kube-sim (namespace of its own, ClusterSecretStore of its own), its SSM
 * parameters in moto and an OpenMeet tenant in Postgres whose users' tokens the pod's Synapse issued.
 */
export async function plantFullResetSandbox(options: { moreTargets?: boolean; synapse?: 'StatefulSet' | 'Deployment' } = {}): Promise<FullResetSandbox> {
  const kubeconfig = process.env['KUBECONFIG'];
  if (!kubeconfig) throw new Error('KUBECONFIG is not set: run through the reset-core vitest config (kube-sim global setup)');
  const kube = createKube(loadKubeConfig({ kubeconfigPath: kubeconfig }));
  const id = randomBytes(4).toString('hex');
  const namespace = `fullreset-${id}`;
  const sharedSecret = randomBytes(18).toString('base64url');
  const ssmPrefix = `/matrix-reset-test/${namespace}`;
  const references = {
    ssmToken: `ssm:${ssmPrefix}/admin-token`,
    ssmUser: `ssm:${ssmPrefix}/admin-user`,
    k8sToken: `k8s-secret:${namespace}/api-secrets#MATRIX_ADMIN_ACCESS_TOKEN`,
    k8sUser: `k8s-secret:${namespace}/api-secrets#MATRIX_ADMIN_USER`,
  };
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'matrix-secrets' }, stringData: { SYNAPSE_REGISTRATION_SHARED_SECRET: sharedSecret } } });
  const synapseEnv = [
    { name: 'SYNAPSE_SERVER_NAME', value: SERVER_NAME },
    { name: 'SYNAPSE_REGISTRATION_SHARED_SECRET', valueFrom: { secretKeyRef: { name: 'matrix-secrets', key: 'SYNAPSE_REGISTRATION_SHARED_SECRET' } } },
  ];
  const asDeployment = options.synapse === 'Deployment';
  const workload: WorkloadId = asDeployment ? { kind: 'Deployment', name: 'matrix-synapse' } : { kind: 'StatefulSet', name: 'matrix' };
  const workers: WorkloadId[] = [];
  if (asDeployment) {
    // The claim as a chart makes it: its own object, named in the pod template, with the chart's labels and annotations.
    await kube.core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: {
          name: SYNAPSE_DEPLOYMENT_CLAIM,
          labels: { 'app.kubernetes.io/name': 'matrix-synapse', 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { 'meta.helm.sh/release-name': 'matrix-synapse', 'meta.helm.sh/release-namespace': namespace },
        },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    await kube.apps.createNamespacedDeployment({ namespace, body: synapseDeployment(synapseEnv) });
    await kube.apps.createNamespacedDeployment({ namespace, body: synapseWorkerDeployment() });
    workers.push({ kind: 'Deployment', name: 'matrix-synapse-worker' });
    for (const id of [workload, ...workers]) await waitForWorkloadReady(kube, { namespace, workload: id, timeoutMs: 90_000 });
  } else {
    await kube.apps.createNamespacedStatefulSet({ namespace, body: synapseStatefulSet(synapseEnv) });
    await waitForStatefulSetReady(kube, { namespace, name: 'matrix', timeoutMs: 90_000 });
  }

  const withSynapse = async <T>(fn: (baseUrl: string) => Promise<T>): Promise<T> => {
    // A Deployment's pod has a generated name, and a new one after the reset.
    const pod = asDeployment ? await requireReadyPod(kube, { namespace, workload }) : 'matrix-0';
    const forward = await portForwardToPod(kube, { namespace, pod, port: 8008 });
    try {
      return await fn(forward.url);
    } finally {
      await forward.close();
    }
  };
  const { adminToken, users } = await withSynapse(async (baseUrl) => {
    const client = createSynapseClient({ baseUrl, serverName: SERVER_NAME });
    const register = (username: string, admin: boolean) => client.registerWithSharedSecret({ sharedSecret, username, password: randomBytes(12).toString('hex'), admin });
    const admin = await register('admin', true);
    const alice = await register(`alice-${id}`, false);
    const bob = await register(`bob-${id}`, false);
    return { adminToken: admin.accessToken!, users: [alice, bob] };
  });

  // The admin token's source of truth is SSM; External Secrets copies it into the Secret the API reads.
  const ssm = new SSMClient({});
  await openSecretStore(references.ssmToken, { ssm }).write(adminToken);
  await openSecretStore(references.ssmUser, { ssm }).write(`@admin:${SERVER_NAME}`);
  const storeName = `ssm-${namespace}`;
  await kube.custom.createClusterCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    plural: 'clustersecretstores',
    body: { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: storeName }, spec: { provider: { aws: { service: 'ParameterStore', region: 'us-east-1' } } } },
  });
  await kube.custom.createNamespacedCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    namespace,
    plural: 'externalsecrets',
    body: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'api-secrets' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: storeName },
        target: { name: 'api-secrets', creationPolicy: 'Owner' },
        data: [
          { secretKey: 'MATRIX_ADMIN_ACCESS_TOKEN', remoteRef: { key: `${ssmPrefix}/admin-token` } },
          { secretKey: 'MATRIX_ADMIN_USER', remoteRef: { key: `${ssmPrefix}/admin-user` } },
        ],
      },
    },
  });
  await kube.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'api' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'api',
                image: 'openmeet/api:latest',
                ports: [{ containerPort: 3000 }],
                env: [
                  { name: 'MATRIX_ADMIN_ACCESS_TOKEN', valueFrom: { secretKeyRef: { name: 'api-secrets', key: 'MATRIX_ADMIN_ACCESS_TOKEN' } } },
                  { name: 'MATRIX_ADMIN_USER', valueFrom: { secretKeyRef: { name: 'api-secrets', key: 'MATRIX_ADMIN_USER' } } },
                ],
                readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  await waitForRollout(kube, { kind: 'Deployment', namespace, name: 'api', timeoutMs: 60_000 });

  const db = ensureTestDb(2);
  let schema: string;
  const keys: number[] = [];
  try {
    ({ schema } = await createOpenmeetTenant(db));
    for (const [index, user] of users.entries()) {
      keys.push(await insertAppUser(db, schema, { slug: `u${index}`, userId: user.userId, accessToken: user.accessToken ?? null, deviceId: user.deviceId ?? null }));
    }
  } finally {
    await db.destroy();
  }

  let moreTargets: MoreTargets | undefined;
  if (options.moreTargets === true) {
    // Both hold what the app read before the incident: the old admin token and user.
    const dotenvPath = join(await mkdtemp(join(tmpdir(), 'fullreset-env-')), '.env');
    await writeFile(dotenvPath, `# app settings\nAPP_NAME=api\nMATRIX_ADMIN_ACCESS_TOKEN=${adminToken}\nMATRIX_ADMIN_USER=@admin:${SERVER_NAME}\n`, { mode: 0o600 });
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'admin-plain' }, stringData: { TOKEN: adminToken, USER: `@admin:${SERVER_NAME}` } } });
    moreTargets = {
      dotenvPath,
      dotenvToken: `dotenv:${dotenvPath}#MATRIX_ADMIN_ACCESS_TOKEN`,
      dotenvUser: `dotenv:${dotenvPath}#MATRIX_ADMIN_USER`,
      plainSecretName: 'admin-plain',
      plainToken: `k8s-secret:${namespace}/admin-plain#TOKEN`,
      plainUser: `k8s-secret:${namespace}/admin-plain#USER`,
    };
  }

  const yaml = [
    'version: 1',
    'environments:',
    `  ${namespace}:`,
    '    kubernetes:',
    `      context: ${kube.config.getCurrentContext()}`,
    `      kubeconfig: ${kubeconfig}`,
    `      namespace: ${namespace}`,
    ...(asDeployment
      ? ['      workload: { kind: Deployment, name: matrix-synapse }', '      workers: { selector: app.kubernetes.io/component=synapse-worker }']
      : ['      statefulSet: matrix']),
    '      restart: [{ kind: Deployment, name: api }]',
    '    synapse:',
    asDeployment ? '      portForward: { port: 8008 }' : '      portForward: { pod: matrix-0, port: 8008 }',
    `      serverName: ${SERVER_NAME}`,
    `      sharedSecret: "k8s-secret:${namespace}/matrix-secrets#SYNAPSE_REGISTRATION_SHARED_SECRET"`,
    '    adminToken:',
    `      - { token: "${references.ssmToken}", user: "${references.ssmUser}" }`,
    `      - { token: "${references.k8sToken}", user: "${references.k8sUser}" }`,
    ...(moreTargets === undefined
      ? []
      : [`      - { token: "${moreTargets.dotenvToken}", user: "${moreTargets.dotenvUser}" }`, `      - { token: "${moreTargets.plainToken}", user: "${moreTargets.plainUser}" }`]),
    '    appDatabase:',
    '      url: env:DATABASE_URL',
    `      layout: { preset: openmeet, schemas: { names: [${schema}] } }`,
    '',
  ].join('\n');
  const environment = resolveEnvironment(parseResetConfig(yaml, { path: `${namespace}.yaml` }), namespace);
  return {
    kube,
    namespace,
    workload,
    workers,
    environment,
    configYaml: yaml,
    schema,
    keys,
    oldTokens: [adminToken, ...users.map((u) => u.accessToken!)],
    references,
    moreTargets,
    sharedSecret,
    withSynapse,
    apiPodNames: async () =>
      (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=api' })).items.filter((p) => p.metadata?.deletionTimestamp === undefined).map((p) => p.metadata?.name ?? ''),
    connect: () => connectEnvironment(environment),
  };
}

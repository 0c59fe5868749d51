import { join } from 'node:path';
import { deletePersistentVolumeClaim, scaleStatefulSet, waitForStatefulSetPodsGone, waitForStatefulSetReady } from '@matrix-reset/k8s-ops';
import { NAMESPACE, SSM_TOKEN, SSM_USER, writeDemoConfig } from './demo-config.ts';
import type { DemoShape } from './demo-shape.ts';

const STATEFUL_SET = 'matrix';
const PVC = 'data-matrix-0';

/**
 * The runbook's shape, kube-sim's openmeet-dev: Synapse as StatefulSet matrix with its SQLite database on the claim
 * data-matrix-0. The incident: that volume is deleted and the pod comes back on an empty one.
 *
 * @example
 * const incident = await sqliteShape.incident.cause(kube, connection, (line) => process.stderr.write(line + '\n'));
 */
export const sqliteShape: DemoShape = {
  name: 'sqlite',
  kubeScenario: 'openmeet-dev',
  sandboxDescription: 'kube-sim with openmeet-dev and a real Synapse pod on SQLite',
  namespace: NAMESPACE,
  ssm: { token: SSM_TOKEN, user: SSM_USER },
  claim: PVC,
  postgres: false,
  writeConfig: async (path, sandbox) => writeDemoConfig(path, { context: sandbox.kube.config.getCurrentContext(), kubeconfig: sandbox.kubeconfig }),
  async waitForSynapse(kube) {
    await waitForStatefulSetReady(kube, { namespace: NAMESPACE, name: STATEFUL_SET, timeoutMs: 180_000 });
  },
  incident: {
    title: 'Synapse volume wiped',
    announce: `scale ${STATEFUL_SET} to 0, delete PVC ${PVC}, scale back to 1 (Synapse starts empty)`,
    async cause(kube, _connection, say) {
      const uid = (await kube.core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: PVC }).catch(() => undefined))?.metadata?.uid;
      await scaleStatefulSet(kube, { namespace: NAMESPACE, name: STATEFUL_SET, replicas: 0 });
      await waitForStatefulSetPodsGone(kube, { namespace: NAMESPACE, name: STATEFUL_SET, timeoutMs: 60_000 });
      await deletePersistentVolumeClaim(kube, { namespace: NAMESPACE, name: PVC, timeoutMs: 60_000 });
      await scaleStatefulSet(kube, { namespace: NAMESPACE, name: STATEFUL_SET, replicas: 1 });
      await waitForStatefulSetReady(kube, { namespace: NAMESPACE, name: STATEFUL_SET, timeoutMs: 120_000 });
      say('   matrix-0 is ready again, on a new empty volume');
      return `scaled StatefulSet ${STATEFUL_SET} to 0, deleted PVC ${PVC} (uid ${uid ?? '?'}), scaled back to 1`;
    },
  },
  explore: (stateDir, configFile) => [
    `. ${join(stateDir, 'sandbox.env')}   # KUBECONFIG, DATABASE_URL, AWS_ENDPOINT_URL_SSM, ...`,
    `kubectl -n ${NAMESPACE} get statefulset,pods,pvc,secrets,externalsecrets`,
    `psql "$DATABASE_URL" -c 'select id, "matrixUserId", "matrixAccessToken" is not null as has_token, "matrixDeviceId" from tenant_alpha.users'`,
    `kubectl -n ${NAMESPACE} port-forward pod/matrix-0 8008:8008 & curl -s http://127.0.0.1:8008/_synapse/admin/v1/server_version`,
    `aws --region "$AWS_REGION" ssm get-parameters-by-path --path /openmeet/dev --with-decryption --query "Parameters[].[Name,Version]"`,
    `node apps/cli/bin/run.js doctor --config ${configFile}`,
    `scripts/sandbox down --state-dir ${stateDir}   # when you are done`,
  ],
};

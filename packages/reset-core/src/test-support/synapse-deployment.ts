import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { synapseContainer } from './synapse-statefulset.ts';

/** The claim {@link synapseDeployment} names in its pod template (the test creates it, as a chart would). */
export const SYNAPSE_DEPLOYMENT_CLAIM = 'matrix-synapse-data';

/**
 * A Deployment `matrix-synapse` running kube-sim's real Synapse on SQLite in /data, the claim
 * {@link SYNAPSE_DEPLOYMENT_CLAIM} named in its pod template's volumes (as the ananace chart does): the Recreate
 * strategy, as a single-writer claim needs; chart-style labels, component `synapse`.
 */
export function synapseDeployment(env: V1EnvVar[] = []): V1Deployment {
  const labels = { 'app.kubernetes.io/name': 'matrix-synapse', 'app.kubernetes.io/component': 'synapse' };
  return {
    metadata: { name: 'matrix-synapse', labels },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [synapseContainer(env)],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: SYNAPSE_DEPLOYMENT_CLAIM } }],
        },
      },
    },
  };
}

/**
 * A worker Deployment `matrix-synapse-worker` (component `synapse-worker`, the label a workers selector names). Synapse's
 * workers need Postgres and replication, which a SQLite Synapse has not: it runs kube-sim's small app image, standing
 * in for the worker process; what a reset does to it (scale to 0 before the main process, back after) is the same.
 */
export function synapseWorkerDeployment(): V1Deployment {
  const labels = { 'app.kubernetes.io/name': 'matrix-synapse', 'app.kubernetes.io/component': 'synapse-worker' };
  return {
    metadata: { name: 'matrix-synapse-worker', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'worker', image: 'kube-sim/app:latest', ports: [{ containerPort: 3000 }], readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 } }],
        },
      },
    },
  };
}

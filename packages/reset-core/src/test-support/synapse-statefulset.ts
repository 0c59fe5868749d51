import type { V1Container, V1EnvVar, V1StatefulSet } from '@kubernetes/client-node';

/** kube-sim's real Synapse (image matrixdotorg/synapse) with its data volume `data` at /data, ready when /health answers. */
export function synapseContainer(env: V1EnvVar[] = []): V1Container {
  return {
    name: 'synapse',
    image: 'matrixdotorg/synapse:v1.163.2',
    ...(env.length > 0 ? { env } : {}),
    ports: [{ containerPort: 8008 }],
    readinessProbe: { httpGet: { path: '/health', port: 8008 }, periodSeconds: 1 },
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
  };
}

/**
 * A StatefulSet `matrix` running kube-sim's real Synapse (image matrixdotorg/synapse) on a claim template `data`
 * mounted at /data, ready when /health answers: the shape of the runbook's Synapse.
 */
export function synapseStatefulSet(env: V1EnvVar[] = []): V1StatefulSet {
  return {
    metadata: { name: 'matrix', labels: { app: 'matrix' } },
    spec: {
      replicas: 1,
      serviceName: 'matrix',
      selector: { matchLabels: { app: 'matrix' } },
      template: {
        metadata: { labels: { app: 'matrix' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [synapseContainer(env)],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

import type { V1Container, V1Deployment, V1StatefulSet, V1Volume } from '@kubernetes/client-node';

export interface SleepWorkloadOptions {
  replicas?: number;
  /** The pod template's labels; the selector is the same labels unless `selector` is given. */
  labels?: Record<string, string>;
  selector?: Record<string, string>;
  volumes?: V1Volume[];
  /** Mounts of the main container (`synapse`). */
  volumeMounts?: V1Container['volumeMounts'];
  initContainers?: V1Container[];
  /**
   * Pods that ignore SIGTERM and so stay Terminating for this grace period before they are killed (default: stop at
   * once, with a 1 s grace period).
   */
  ignoreTermSeconds?: number;
}

/** A pod template of one `sleep infinity` container named `synapse` (kube-sim runs it as a real process; ready once running). */
function podTemplate(name: string, options: SleepWorkloadOptions) {
  const labels = options.labels ?? { app: name };
  return {
    metadata: { labels },
    spec: {
      terminationGracePeriodSeconds: options.ignoreTermSeconds ?? 1,
      ...(options.initContainers ? { initContainers: options.initContainers } : {}),
      containers: [{ name: 'synapse', image: 'busybox', command: options.ignoreTermSeconds === undefined ? ['sleep', 'infinity'] : ['sh', '-c', "trap '' TERM; while :; do sleep 1; done"], ...(options.volumeMounts ? { volumeMounts: options.volumeMounts } : {}) }],
      ...(options.volumes ? { volumes: options.volumes } : {}),
    },
  };
}

/** A Deployment of `sleep infinity` pods, like the ananace chart's Synapse Deployment in shape. */
export function sleepDeployment(name: string, options: SleepWorkloadOptions = {}): V1Deployment {
  const labels = options.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: { replicas: options.replicas ?? 1, selector: { matchLabels: options.selector ?? labels }, template: podTemplate(name, options) },
  };
}

/** A StatefulSet of `sleep infinity` pods with the given claim templates (each `1Gi`, ReadWriteOnce), like ess-helm's Synapse. */
export function sleepStatefulSet(name: string, claimTemplates: readonly string[], options: SleepWorkloadOptions = {}): V1StatefulSet {
  const labels = options.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels },
    spec: {
      replicas: options.replicas ?? 1,
      serviceName: name,
      selector: { matchLabels: options.selector ?? labels },
      template: podTemplate(name, options),
      volumeClaimTemplates: claimTemplates.map((claim) => ({
        metadata: { name: claim },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      })),
    },
  };
}

/** A standalone 1Gi claim, as a chart creates for Synapse's media. */
export function claim(name: string) {
  return { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
}

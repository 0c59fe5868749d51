import { record, records, type KubeObject } from './kube-object.ts';

function defaultPodSpec(spec: Record<string, unknown>): void {
  spec['restartPolicy'] ??= 'Always';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['securityContext'] ??= {};
  for (const container of records(spec['containers'])) {
    const image = String(container['image'] ?? '');
    container['imagePullPolicy'] ??= image.includes(':') && !image.endsWith(':latest') ? 'IfNotPresent' : 'Always';
    container['terminationMessagePath'] ??= '/dev/termination-log';
    container['terminationMessagePolicy'] ??= 'File';
    container['resources'] ??= {};
    for (const port of records(container['ports'])) port['protocol'] ??= 'TCP';
  }
}

/**
 * Fills the defaults a real API server adds (pod restart policy, StatefulSet strategies, PVC phase…), on create
 * and again on update (then without finalizers or a fresh status). Mutates `object`, a copy owned by the store.
 *
 * @example
 * applyDefaults(statefulSet); // spec.podManagementPolicy === 'OrderedReady'
 */
export function applyDefaults(object: KubeObject, options: { creating: boolean } = { creating: true }): void {
  const creating = options.creating;
  const spec = record(object['spec']);
  switch (object.kind) {
    case 'Namespace':
      object['spec'] = { finalizers: ['kubernetes'], ...spec };
      if (creating) object['status'] = { phase: 'Active' };
      object.metadata.labels = { 'kubernetes.io/metadata.name': object.metadata.name, ...object.metadata.labels };
      break;
    case 'Pod':
      defaultPodSpec(spec);
      object['spec'] = spec;
      object['status'] = { phase: 'Pending', qosClass: 'BestEffort', ...record(object['status']) };
      break;
    case 'PersistentVolumeClaim':
      spec['volumeMode'] ??= 'Filesystem';
      object['spec'] = spec;
      object['status'] = { phase: 'Pending', ...record(object['status']) };
      if (creating) object.metadata.finalizers = [...new Set([...(object.metadata.finalizers ?? []), 'kubernetes.io/pvc-protection'])];
      break;
    case 'PersistentVolume':
      spec['persistentVolumeReclaimPolicy'] ??= 'Retain';
      spec['volumeMode'] ??= 'Filesystem';
      object['spec'] = spec;
      object['status'] = { phase: 'Pending', ...record(object['status']) };
      if (creating) object.metadata.finalizers = [...new Set([...(object.metadata.finalizers ?? []), 'kubernetes.io/pv-protection'])];
      break;
    case 'Secret':
      object['type'] ??= 'Opaque';
      break;
    case 'Service':
      spec['type'] ??= 'ClusterIP';
      spec['sessionAffinity'] ??= 'None';
      for (const port of records(spec['ports'])) {
        port['protocol'] ??= 'TCP';
        port['targetPort'] ??= port['port'];
      }
      object['spec'] = spec;
      object['status'] ??= { loadBalancer: {} };
      break;
    case 'StatefulSet':
      spec['replicas'] ??= 1;
      spec['podManagementPolicy'] ??= 'OrderedReady';
      spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec['revisionHistoryLimit'] ??= 10;
      spec['persistentVolumeClaimRetentionPolicy'] = {
        whenDeleted: 'Retain',
        whenScaled: 'Retain',
        ...record(spec['persistentVolumeClaimRetentionPolicy']),
      };
      defaultPodSpec(record(record(spec['template'])['spec']));
      for (const claim of records(spec['volumeClaimTemplates'])) {
        claim['apiVersion'] ??= 'v1';
        claim['kind'] ??= 'PersistentVolumeClaim';
        const claimSpec = record(claim['spec']);
        claimSpec['volumeMode'] ??= 'Filesystem';
        claim['spec'] = claimSpec;
        claim['status'] ??= { phase: 'Pending' };
      }
      object['spec'] = spec;
      object['status'] ??= { replicas: 0, availableReplicas: 0 };
      break;
    case 'Deployment':
      spec['replicas'] ??= 1;
      spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      spec['revisionHistoryLimit'] ??= 10;
      spec['progressDeadlineSeconds'] ??= 600;
      defaultPodSpec(record(record(spec['template'])['spec']));
      object['spec'] = spec;
      object['status'] ??= {};
      break;
    case 'ReplicaSet':
      spec['replicas'] ??= 1;
      defaultPodSpec(record(record(spec['template'])['spec']));
      object['spec'] = spec;
      object['status'] ??= { replicas: 0 };
      break;
    case 'StorageClass':
      object['reclaimPolicy'] ??= 'Delete';
      object['volumeBindingMode'] ??= 'Immediate';
      break;
    default:
      break;
  }
}

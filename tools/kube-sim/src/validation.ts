import { invalid } from './api-status.ts';
import { record, type KubeObject } from './kube-object.ts';
import type { ResourceType } from './resource-types.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const STATEFULSET_MUTABLE_SPEC = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/**
 * The 422 checks a real server makes that the matrix-reset tools can trip: names, non-negative replicas,
 * immutable StatefulSet and PVC spec fields.
 *
 * @example
 * validateObject(stsType, newSts, oldSts); // throws ApiStatusError 422 for spec.replicas: -1
 */
export function validateObject(resource: ResourceType, object: KubeObject, previous?: KubeObject): void {
  const name = object.metadata.name;
  const causes: { field: string; message: string }[] = [];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push({
      field: 'metadata.name',
      message:
        `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, ` +
        `'-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  const spec = record(object['spec']);
  const replicas = spec['replicas'];
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` });
  }
  if (previous !== undefined && object.kind === 'StatefulSet') {
    const before = record(previous['spec']);
    const changed = [...new Set([...Object.keys(before), ...Object.keys(spec)])].filter(
      (key) => !STATEFULSET_MUTABLE_SPEC.includes(key) && JSON.stringify(before[key]) !== JSON.stringify(spec[key]),
    );
    if (changed.length > 0) {
      causes.push({
        field: 'spec',
        message:
          "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', " +
          "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      });
    }
  }
  if (previous !== undefined && object.kind === 'PersistentVolumeClaim') {
    const before = { ...record(previous['spec']), resources: undefined, volumeName: undefined };
    const after = { ...spec, resources: undefined, volumeName: undefined };
    if (JSON.stringify(before) !== JSON.stringify(after) && record(previous['spec'])['volumeName'] !== undefined) {
      causes.push({ field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' });
    }
  }
  if (causes.length > 0) throw invalid(resource, name, causes);
}

import type { ResourceRegistry, ResourceType } from './resource-types.ts';

/** The built-in kinds the controllers and the kubelet work with, looked up once. */
export interface Kinds {
  namespace: ResourceType;
  pod: ResourceType;
  pvc: ResourceType;
  pv: ResourceType;
  secret: ResourceType;
  configMap: ResourceType;
  service: ResourceType;
  endpoints: ResourceType;
  event: ResourceType;
  statefulSet: ResourceType;
  deployment: ResourceType;
  replicaSet: ResourceType;
  controllerRevision: ResourceType;
  storageClass: ResourceType;
}

/**
 * Resolves {@link Kinds} from the registry.
 *
 * @example
 * const kinds = builtinKinds(registry);
 * store.list(kinds.pod, 'openmeet-dev');
 */
export function builtinKinds(registry: ResourceRegistry): Kinds {
  const find = (group: string, plural: string): ResourceType => {
    const found = registry.find(group, 'v1', plural);
    if (found === undefined) throw new Error(`built-in kind ${plural} missing from the registry`);
    return found;
  };
  return {
    namespace: find('', 'namespaces'),
    pod: find('', 'pods'),
    pvc: find('', 'persistentvolumeclaims'),
    pv: find('', 'persistentvolumes'),
    secret: find('', 'secrets'),
    configMap: find('', 'configmaps'),
    service: find('', 'services'),
    endpoints: find('', 'endpoints'),
    event: find('', 'events'),
    statefulSet: find('apps', 'statefulsets'),
    deployment: find('apps', 'deployments'),
    replicaSet: find('apps', 'replicasets'),
    controllerRevision: find('apps', 'controllerrevisions'),
    storageClass: find('storage.k8s.io', 'storageclasses'),
  };
}

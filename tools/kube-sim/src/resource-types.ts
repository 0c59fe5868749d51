/** One kind the API server serves (built in, or switched on by a scenario's CRDs). */
export interface ResourceType {
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural resource name, the URL segment (`statefulsets`). */
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  /** Subresources served besides the object (`status`, `scale`, `exec`, `portforward`). */
  readonly subresources: readonly string[];
  readonly categories: readonly string[];
  /** Strategic-merge patches are refused for custom resources (415), as a real server does. */
  readonly custom: boolean;
}

const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function type(
  group: string,
  version: string,
  kind: string,
  plural: string,
  options: { namespaced?: boolean; shortNames?: string[]; subresources?: string[]; categories?: string[]; custom?: boolean } = {},
): ResourceType {
  return Object.freeze({
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: options.namespaced ?? true,
    shortNames: Object.freeze(options.shortNames ?? []),
    subresources: Object.freeze(options.subresources ?? []),
    categories: Object.freeze(options.categories ?? []),
    custom: options.custom ?? false,
  });
}

/** The built-in kinds: what the matrix-reset runbook and its tools touch, plus what kubectl asks about. */
export const BUILTIN_RESOURCE_TYPES: readonly ResourceType[] = Object.freeze([
  type('', 'v1', 'Namespace', 'namespaces', { namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'] }),
  type('', 'v1', 'Pod', 'pods', { shortNames: ['po'], subresources: ['status', 'exec', 'portforward', 'log'], categories: ['all'] }),
  type('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', { shortNames: ['pvc'], subresources: ['status'] }),
  type('', 'v1', 'PersistentVolume', 'persistentvolumes', { namespaced: false, shortNames: ['pv'], subresources: ['status'] }),
  type('', 'v1', 'Secret', 'secrets'),
  type('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  type('', 'v1', 'Service', 'services', { shortNames: ['svc'], subresources: ['status'], categories: ['all'] }),
  type('', 'v1', 'Endpoints', 'endpoints', { shortNames: ['ep'] }),
  type('', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
  type('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  type('apps', 'v1', 'StatefulSet', 'statefulsets', { shortNames: ['sts'], subresources: ['status', 'scale'], categories: ['all'] }),
  type('apps', 'v1', 'Deployment', 'deployments', { shortNames: ['deploy'], subresources: ['status', 'scale'], categories: ['all'] }),
  type('apps', 'v1', 'ReplicaSet', 'replicasets', { shortNames: ['rs'], subresources: ['status', 'scale'], categories: ['all'] }),
  type('apps', 'v1', 'ControllerRevision', 'controllerrevisions'),
  type('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  // Stored and served so RBAC manifests can be applied and read back; the simulator does not enforce them (its
  // fault injection's `deny` stands in for a missing permission).
  type('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  type('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  type('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', { namespaced: false }),
  type('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', { namespaced: false }),
  type('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { shortNames: ['hpa'], subresources: ['status'], categories: ['all'] }),
  type('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', { namespaced: false, shortNames: ['sc'] }),
  type('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
    namespaced: false,
    shortNames: ['crd', 'crds'],
    subresources: ['status'],
  }),
]);

/** CRDs a scenario can switch on. */
export const OPTIONAL_RESOURCE_TYPES: Readonly<Record<string, readonly ResourceType[]>> = Object.freeze({
  'volume-snapshots': Object.freeze([
    type('snapshot.storage.k8s.io', 'v1', 'VolumeSnapshot', 'volumesnapshots', { shortNames: ['vs'], subresources: ['status'], custom: true }),
    type('snapshot.storage.k8s.io', 'v1', 'VolumeSnapshotClass', 'volumesnapshotclasses', { namespaced: false, shortNames: ['vsclass'], custom: true }),
    type('snapshot.storage.k8s.io', 'v1', 'VolumeSnapshotContent', 'volumesnapshotcontents', { namespaced: false, shortNames: ['vsc'], subresources: ['status'], custom: true }),
  ]),
  'external-secrets': Object.freeze([
    type('external-secrets.io', 'v1', 'ExternalSecret', 'externalsecrets', { shortNames: ['es'], subresources: ['status'], custom: true }),
    type('external-secrets.io', 'v1', 'SecretStore', 'secretstores', { shortNames: ['ss'], subresources: ['status'], custom: true }),
    type('external-secrets.io', 'v1', 'ClusterSecretStore', 'clustersecretstores', { namespaced: false, shortNames: ['css'], subresources: ['status'], custom: true }),
  ]),
});

/** `apps/v1`, or `v1` for the core group. */
export function groupVersion(resource: Pick<ResourceType, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** The verbs discovery lists for a resource. */
export function resourceVerbs(resource: ResourceType): string[] {
  return resource.kind === 'Event' || resource.kind === 'Namespace'
    ? STANDARD_VERBS.filter((verb) => verb !== 'deletecollection' || resource.kind === 'Event')
    : [...STANDARD_VERBS];
}

/**
 * The kinds currently served, looked up by group/version/plural.
 *
 * @example
 * const registry = new ResourceRegistry(BUILTIN_RESOURCE_TYPES);
 * registry.find('apps', 'v1', 'statefulsets')?.kind; // "StatefulSet"
 */
export class ResourceRegistry {
  #types: ResourceType[];

  constructor(types: readonly ResourceType[]) {
    this.#types = [...types];
  }

  get all(): readonly ResourceType[] {
    return this.#types;
  }

  add(types: readonly ResourceType[]): void {
    for (const added of types) {
      if (!this.find(added.group, added.version, added.plural)) this.#types.push(added);
    }
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.#types.find((t) => groupVersion(t) === apiVersion && t.kind === kind);
  }

  /** Groups in discovery order (core excluded), each with its versions. */
  groups(): { name: string; versions: string[] }[] {
    const groups = new Map<string, Set<string>>();
    for (const t of this.#types) {
      if (t.group === '') continue;
      const versions = groups.get(t.group) ?? new Set<string>();
      versions.add(t.version);
      groups.set(t.group, versions);
    }
    return [...groups].map(([name, versions]) => ({ name, versions: [...versions] }));
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.#types.filter((t) => t.group === group && t.version === version);
  }
}

import type { KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import { OPTIONAL_RESOURCE_TYPES, type ResourceType } from './resource-types.ts';
import { DEFAULT_SNAPSHOT_CLASS, SNAPSHOT_DRIVER } from './volume-snapshot-controller.ts';

/** A set of CRDs kube-sim can serve (with its controller): `external-secrets` or `volume-snapshots`. */
export type CustomResourceSet = 'external-secrets' | 'volume-snapshots';

export const CUSTOM_RESOURCE_SETS: readonly CustomResourceSet[] = Object.freeze(['external-secrets', 'volume-snapshots']);

/** The CRD set that serves `apiVersion`/`kind`, if any (so a scenario using an ExternalSecret switches them on). */
export function customResourceSetOf(apiVersion: string, kind: string): CustomResourceSet | undefined {
  return CUSTOM_RESOURCE_SETS.find((set) => (OPTIONAL_RESOURCE_TYPES[set] ?? []).some((t) => `${t.group}/${t.version}` === apiVersion && t.kind === kind));
}

function definition(type: ResourceType): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${type.plural}.${type.group}` },
    spec: {
      group: type.group,
      names: { kind: type.kind, listKind: `${type.kind}List`, plural: type.plural, singular: type.singular, shortNames: [...type.shortNames] },
      scope: type.namespaced ? 'Namespaced' : 'Cluster',
      versions: [{
        name: type.version,
        served: true,
        storage: true,
        ...(type.subresources.includes('status') ? { subresources: { status: {} } } : {}),
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      }],
    },
  };
}

/**
 * Serves a CRD set: adds its kinds to the registry (discovery, CRUD, watch) and creates the
 * CustomResourceDefinition objects (`kubectl get crd`), as installing the operator's CRDs would; snapshots also
 * get a default VolumeSnapshotClass (`kube-sim-snapclass`). Idempotent.
 *
 * @example
 * enableCustomResources(store, ['external-secrets']);
 */
export function enableCustomResources(store: ObjectStore, sets: readonly CustomResourceSet[]): void {
  const crdType = store.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (crdType === undefined) throw new Error('the CustomResourceDefinition kind is missing from the registry');
  for (const set of sets) {
    const types = OPTIONAL_RESOURCE_TYPES[set] ?? [];
    store.registry.add(types);
    for (const type of types) {
      const crd = definition(type);
      if (store.tryGet(crdType, undefined, crd.metadata.name) === undefined) store.create(crdType, undefined, crd);
    }
    const classType = store.registry.find('snapshot.storage.k8s.io', 'v1', 'volumesnapshotclasses');
    if (set === 'volume-snapshots' && classType !== undefined && store.tryGet(classType, undefined, DEFAULT_SNAPSHOT_CLASS) === undefined) {
      store.create(classType, undefined, {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshotClass',
        metadata: { name: DEFAULT_SNAPSHOT_CLASS, annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
        driver: SNAPSHOT_DRIVER,
        deletionPolicy: 'Delete',
      });
    }
  }
}

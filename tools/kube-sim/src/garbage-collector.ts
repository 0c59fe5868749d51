import { KindsReconciler } from './controller-loop.ts';
import type { KubeObject } from './kube-object.ts';
import type { ResourceType } from './resource-types.ts';

/**
 * Garbage collection by ownerReferences (dependents of a vanished owner are deleted in the background),
 * the `foregroundDeletion` and `orphan` finalizers, and namespace deletion (contents first, then the namespace).
 *
 * @example
 * new ControllerLoop(store, [new GarbageCollector(store, kinds)], log).start();
 */
export class GarbageCollector extends KindsReconciler {
  readonly name = 'garbage-collector';

  reconcile(): void {
    const everything = this.store.all();
    const uids = new Set(everything.map((entry) => entry.object.metadata.uid));
    const dependentsOf = (owner: KubeObject): { resource: ResourceType; object: KubeObject }[] =>
      everything.filter((entry) => (entry.object.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid));
    const del = (resource: ResourceType, object: KubeObject): void => {
      if (object.metadata.deletionTimestamp === undefined) {
        this.store.delete(resource, object.metadata.namespace, object.metadata.name, { propagationPolicy: 'Background' });
      }
    };
    for (const { resource, object } of everything) {
      const refs = object.metadata.ownerReferences ?? [];
      if (refs.length > 0 && refs.every((ref) => !uids.has(ref.uid))) del(resource, object);
      const finalizers = object.metadata.finalizers ?? [];
      if (object.metadata.deletionTimestamp === undefined) continue;
      if (finalizers.includes('foregroundDeletion')) {
        const dependents = dependentsOf(object);
        for (const dependent of dependents) del(dependent.resource, dependent.object);
        if (dependents.length === 0) this.#dropFinalizer(resource, object, 'foregroundDeletion');
      }
      if (finalizers.includes('orphan')) {
        for (const dependent of dependentsOf(object)) {
          this.store.mutate(dependent.resource, dependent.object.metadata.namespace, dependent.object.metadata.name, (d) => {
            const kept = (d.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== object.metadata.uid);
            if (kept.length > 0) d.metadata.ownerReferences = kept;
            else delete d.metadata.ownerReferences;
          });
        }
        this.#dropFinalizer(resource, object, 'orphan');
      }
      if (resource === this.kinds.namespace) {
        const contents = everything.filter((entry) => entry.resource.namespaced && entry.object.metadata.namespace === object.metadata.name);
        for (const entry of contents) del(entry.resource, entry.object);
        if (contents.length === 0 && finalizers.length === 0) this.store.remove(resource, undefined, object.metadata.name);
      }
    }
  }

  #dropFinalizer(resource: ResourceType, object: KubeObject, finalizer: string): void {
    this.store.mutate(resource, object.metadata.namespace, object.metadata.name, (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    });
  }
}

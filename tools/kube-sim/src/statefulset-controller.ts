import { controllerRef, isOwnedBy, record, records, type KubeObject, type OwnerReference } from './kube-object.ts';
import { isPodInactive, isPodReady, templateHash } from './pod-state.ts';
import { KindsReconciler } from './controller-loop.ts';

function ordinalOf(set: KubeObject, pod: KubeObject): number {
  const suffix = pod.metadata.name.slice(set.metadata.name.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

function claimName(template: Record<string, unknown>, set: KubeObject, ordinal: number): string {
  return `${String(record(template['metadata'])['name'])}-${set.metadata.name}-${ordinal}`;
}

/**
 * The StatefulSet controller: ordered pod creation and deletion (OrderedReady), PVCs from
 * `volumeClaimTemplates` (`<template>-<set>-<ordinal>`) created before the pod and recreated for a Pending pod
 * (kubernetes#74374's fix), `persistentVolumeClaimRetentionPolicy`, ControllerRevisions, rolling updates from
 * the highest ordinal, and status (replicas, readyReplicas, current/updateRevision, observedGeneration).
 *
 * @example
 * new ControllerLoop(store, [new StatefulSetController(store, kinds)], log).start();
 */
export class StatefulSetController extends KindsReconciler {
  readonly name = 'statefulset-controller';

  reconcile(): void {
    for (const set of this.store.list(this.kinds.statefulSet, undefined)) {
      if (set.metadata.deletionTimestamp !== undefined) continue;
      this.#sync(set);
    }
  }

  #revision(set: KubeObject): { name: string; hash: string } {
    const spec = record(set['spec']);
    const hash = templateHash(spec['template']);
    const name = `${set.metadata.name}-${hash}`;
    const namespace = set.metadata.namespace;
    if (this.store.tryGet(this.kinds.controllerRevision, namespace, name) === undefined) {
      const revisions = this.store.list(this.kinds.controllerRevision, namespace).filter((r) => isOwnedBy(r, set));
      const next = Math.max(0, ...revisions.map((r) => Number(r['revision'] ?? 0))) + 1;
      this.store.create(this.kinds.controllerRevision, namespace, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name, namespace, labels: { ...record(record(spec['selector'])['matchLabels']) as Record<string, string>, 'controller.kubernetes.io/hash': hash }, ownerReferences: [controllerRef(set)] },
        data: { spec: { template: { ...record(spec['template']), $patch: 'replace' } } },
        revision: next,
      });
    }
    return { name, hash };
  }

  #ensureClaims(set: KubeObject, ordinal: number, recreateOnly: boolean): void {
    const spec = record(set['spec']);
    const policy = record(spec['persistentVolumeClaimRetentionPolicy']);
    const selectorLabels = record(record(spec['selector'])['matchLabels']) as Record<string, string>;
    for (const template of records(spec['volumeClaimTemplates'])) {
      const name = claimName(template, set, ordinal);
      const existing = this.store.tryGet(this.kinds.pvc, set.metadata.namespace, name);
      const ownerRefs: OwnerReference[] = policy['whenDeleted'] === 'Delete' ? [{ ...controllerRef(set), controller: true }] : [];
      if (existing !== undefined) {
        if (existing.metadata.deletionTimestamp === undefined) this.#syncClaimOwner(existing, set, policy['whenDeleted'] === 'Delete');
        continue;
      }
      void recreateOnly;
      const metadata = record(template['metadata']);
      this.store.create(this.kinds.pvc, set.metadata.namespace, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name,
          namespace: set.metadata.namespace,
          labels: { ...(metadata['labels'] as Record<string, string> | undefined), ...selectorLabels },
          ...(metadata['annotations'] === undefined ? {} : { annotations: metadata['annotations'] as Record<string, string> }),
          ...(ownerRefs.length > 0 ? { ownerReferences: ownerRefs } : {}),
        },
        spec: { ...record(template['spec']) },
      });
    }
  }

  #syncClaimOwner(claim: KubeObject, set: KubeObject, owned: boolean): void {
    const has = isOwnedBy(claim, set);
    if (has === owned) return;
    this.store.mutate(this.kinds.pvc, claim.metadata.namespace, claim.metadata.name, (object) => {
      const refs = (object.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== set.metadata.uid);
      if (owned) refs.push(controllerRef(set));
      if (refs.length > 0) object.metadata.ownerReferences = refs;
      else delete object.metadata.ownerReferences;
    });
  }

  #newPod(set: KubeObject, ordinal: number, revision: { name: string; hash: string }): KubeObject {
    const spec = record(set['spec']);
    const template = structuredClone(record(spec['template']));
    const templateMeta = record(template['metadata']);
    const podSpec = record(template['spec']);
    const name = `${set.metadata.name}-${ordinal}`;
    const volumes = records(podSpec['volumes']);
    for (const claim of records(spec['volumeClaimTemplates'])) {
      const volumeName = String(record(claim['metadata'])['name']);
      const volume = { name: volumeName, persistentVolumeClaim: { claimName: claimName(claim, set, ordinal) } };
      const index = volumes.findIndex((v) => v['name'] === volumeName);
      if (index >= 0) volumes[index] = volume;
      else volumes.push(volume);
    }
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: set.metadata.namespace,
        labels: {
          ...(templateMeta['labels'] as Record<string, string> | undefined),
          'controller-revision-hash': revision.name,
          'statefulset.kubernetes.io/pod-name': name,
          'apps.kubernetes.io/pod-index': String(ordinal),
        },
        ...(templateMeta['annotations'] === undefined ? {} : { annotations: templateMeta['annotations'] as Record<string, string> }),
        ownerReferences: [controllerRef(set)],
      },
      spec: { ...podSpec, volumes, hostname: name, ...(spec['serviceName'] === undefined ? {} : { subdomain: spec['serviceName'] }) },
    };
  }

  #sync(set: KubeObject): void {
    const namespace = set.metadata.namespace;
    const spec = record(set['spec']);
    const replicas = Number(spec['replicas'] ?? 1);
    const ordered = spec['podManagementPolicy'] !== 'Parallel';
    const revision = this.#revision(set);
    const pods = this.store.list(this.kinds.pod, namespace).filter((pod) => isOwnedBy(pod, set));
    const byOrdinal = new Map(pods.map((pod) => [ordinalOf(set, pod), pod]));

    // Failed or finished pods are replaced.
    for (const pod of pods) {
      const phase = record(pod['status'])['phase'];
      if (pod.metadata.deletionTimestamp === undefined && (phase === 'Failed' || phase === 'Succeeded')) {
        this.store.delete(this.kinds.pod, namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
      }
    }

    // Scale up / fill gaps in ordinal order.
    for (let ordinal = 0; ordinal < replicas; ordinal += 1) {
      const pod = byOrdinal.get(ordinal);
      if (pod === undefined) {
        this.#ensureClaims(set, ordinal, false);
        this.store.create(this.kinds.pod, namespace, this.#newPod(set, ordinal, revision));
        if (ordered) break;
        continue;
      }
      if (record(pod['status'])['phase'] === 'Pending' && pod.metadata.deletionTimestamp === undefined) this.#ensureClaims(set, ordinal, true);
      if (ordered && (!isPodReady(pod) || pod.metadata.deletionTimestamp !== undefined)) break;
    }

    // Scale down: the highest ordinal first, one at a time.
    const condemned = pods.filter((pod) => ordinalOf(set, pod) >= replicas).sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));
    const terminating = pods.some((pod) => pod.metadata.deletionTimestamp !== undefined);
    const first = condemned[0];
    if (first !== undefined && (!ordered || !terminating) && first.metadata.deletionTimestamp === undefined) {
      this.store.delete(this.kinds.pod, namespace, first.metadata.name, {});
    }

    // whenScaled: Delete removes the claims of ordinals that no longer exist.
    const policy = record(spec['persistentVolumeClaimRetentionPolicy']);
    if (policy['whenScaled'] === 'Delete') {
      for (const template of records(spec['volumeClaimTemplates'])) {
        const prefix = `${String(record(template['metadata'])['name'])}-${set.metadata.name}-`;
        for (const claim of this.store.list(this.kinds.pvc, namespace)) {
          const suffix = claim.metadata.name.slice(prefix.length);
          if (!claim.metadata.name.startsWith(prefix) || !/^\d+$/.test(suffix)) continue;
          const ordinal = Number(suffix);
          if (ordinal >= replicas && !byOrdinal.has(ordinal) && claim.metadata.deletionTimestamp === undefined) {
            this.store.delete(this.kinds.pvc, namespace, claim.metadata.name, { propagationPolicy: 'Background' });
          }
        }
      }
    }

    // Rolling update: replace the highest-ordinal outdated pod once everything else is ready.
    const strategy = record(spec['updateStrategy']);
    const partition = Number(record(strategy['rollingUpdate'])['partition'] ?? 0);
    const current = this.store.list(this.kinds.pod, namespace).filter((pod) => isOwnedBy(pod, set));
    if (strategy['type'] !== 'OnDelete' && current.length === replicas && current.every((pod) => isPodReady(pod) && pod.metadata.deletionTimestamp === undefined)) {
      const outdated = current
        .filter((pod) => pod.metadata.labels?.['controller-revision-hash'] !== revision.name && ordinalOf(set, pod) >= partition)
        .sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a))[0];
      if (outdated !== undefined) this.store.delete(this.kinds.pod, namespace, outdated.metadata.name, {});
    }

    const live = current.filter((pod) => !isPodInactive(pod) || pod.metadata.deletionTimestamp !== undefined);
    const updated = live.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === revision.name);
    const ready = live.filter(isPodReady);
    const previousStatus = record(set['status']);
    const allUpdated = updated.length === replicas && live.length === replicas;
    const currentRevision = allUpdated || previousStatus['currentRevision'] === undefined ? revision.name : String(previousStatus['currentRevision']);
    this.store.mutate(
      this.kinds.statefulSet,
      namespace,
      set.metadata.name,
      (object) => {
        object['status'] = {
          observedGeneration: set.metadata.generation,
          replicas: live.length,
          readyReplicas: ready.length,
          currentReplicas: live.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === currentRevision).length,
          updatedReplicas: updated.length,
          availableReplicas: ready.length,
          currentRevision,
          updateRevision: revision.name,
          collisionCount: 0,
        };
      },
      { subresource: 'status' },
    );
  }
}

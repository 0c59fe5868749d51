import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Kube } from './kube-config.ts';
import { readWorkloadObject } from './read-workload.ts';
import { readClaimState, type ClaimState } from './statefulset-shape.ts';
import type { WorkloadId } from './workload-ref.ts';

/** Where a container mounts a claim's volume. */
export interface ClaimMount {
  readonly container: string;
  /** True for an init container's mount. */
  readonly init: boolean;
  readonly mountPath: string;
  readonly subPath?: string | undefined;
  readonly readOnly: boolean;
}

/** One PersistentVolumeClaim a workload's pods use, as it is now, and where they mount it. */
export interface WorkloadClaim extends ClaimState {
  /**
   * `volumeClaimTemplate`: a StatefulSet's claim of one pod, `<template>-<statefulset>-<ordinal>`; `podVolume`: a claim
   * the pod template names in its `volumes` (`persistentVolumeClaim.claimName`), shared by every pod.
   */
  readonly source: 'volumeClaimTemplate' | 'podVolume';
  /** The pod's volume it is: the template's name, or the `volumes[]` entry's. */
  readonly volume: string;
  /** For a template's claim: the ordinal of the pod it belongs to. */
  readonly ordinal?: number | undefined;
  /** Every mount of the volume in the pod template's containers (empty when no container mounts it). */
  readonly mounts: readonly ClaimMount[];
}

function mountsOf(template: V1PodTemplateSpec | undefined, volume: string): ClaimMount[] {
  const spec = template?.spec;
  const containers = [...(spec?.initContainers ?? []).map((c) => ({ c, init: true })), ...(spec?.containers ?? []).map((c) => ({ c, init: false }))];
  return containers.flatMap(({ c, init }) =>
    (c.volumeMounts ?? [])
      .filter((m) => m.name === volume)
      .map((m) => Object.freeze({ container: c.name, init, mountPath: m.mountPath, ...(m.subPath ? { subPath: m.subPath } : {}), readOnly: m.readOnly === true })),
  );
}

/**
 * The PersistentVolumeClaims a Deployment's or StatefulSet's pods use, each with its state (exists, uid, phase, the
 * bound volume's reclaim policy) and its mount paths in the containers, so a caller can tell which claim holds
 * `/data` and which `/media`:
 * - a StatefulSet's `volumeClaimTemplates`: `<template>-<statefulset>-<ordinal>` for every ordinal the replicas cover
 *   (at least the first, also at 0 replicas), and beyond them every further ordinal's claim that still exists (left
 *   from a larger scale), up to the first missing one; `spec.ordinals.start` is honoured;
 * - the pod template's `volumes[].persistentVolumeClaim.claimName`, for both kinds (a template of the same name wins,
 *   as the StatefulSet controller decides).
 * Claims that exist nowhere are listed with `exists: false`. Generic ephemeral volumes are not listed (they live and
 * die with their pod).
 *
 * @example
 * const claims = await workloadClaims(kube, { namespace: 'matrix', workload: { kind: 'Deployment', name: 'matrix-synapse' } });
 * const media = claims.find((c) => c.mounts.some((m) => m.mountPath === '/synapse/data'));
 * // { name: 'matrix-synapse', source: 'podVolume', volume: 'media', exists: true, reclaimPolicy: 'Delete', mounts: [...] }
 */
export async function workloadClaims(kube: Kube, target: { namespace: string; workload: WorkloadId }): Promise<readonly WorkloadClaim[]> {
  const { namespace } = target;
  const { kind, object } = await readWorkloadObject(kube, namespace, target.workload);
  const template = object.spec?.template;
  const claims: WorkloadClaim[] = [];
  const templateNames = new Set<string>();
  if (kind === 'StatefulSet') {
    const name = object.metadata?.name ?? target.workload.name;
    const start = object.spec?.ordinals?.start ?? 0;
    const covered = start + Math.max(object.spec?.replicas ?? 1, 1);
    for (const claimTemplate of object.spec?.volumeClaimTemplates ?? []) {
      const volume = claimTemplate.metadata?.name ?? '';
      templateNames.add(volume);
      const mounts = Object.freeze(mountsOf(template, volume));
      for (let ordinal = start; ; ordinal++) {
        const state = await readClaimState(kube, { namespace, name: `${volume}-${name}-${ordinal}` });
        if (ordinal >= covered && !state.exists) break;
        claims.push(Object.freeze({ ...state, source: 'volumeClaimTemplate' as const, volume, ordinal, mounts }));
      }
    }
  }
  for (const volume of template?.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (claimName === undefined || templateNames.has(volume.name)) continue;
    const state = await readClaimState(kube, { namespace, name: claimName });
    claims.push(Object.freeze({ ...state, source: 'podVolume' as const, volume: volume.name, mounts: Object.freeze(mountsOf(template, volume.name)) }));
  }
  return Object.freeze(claims);
}

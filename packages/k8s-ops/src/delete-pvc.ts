import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { callApi, readOrUndefined } from './call-api.ts';
import { isK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { waitForObjects, type WaitProgress } from './wait-for-objects.ts';

export interface DeletePvcOptions {
  namespace: string;
  name: string;
  /** Only delete the claim with this uid (the one a plan observed), never a newer claim of the same name. */
  expectedUid?: string;
  timeoutMs?: number;
  onProgress?: (progress: WaitProgress) => void;
  signal?: AbortSignal;
}

export interface DeletePvcResult {
  /** True when the claim was already gone (404), e.g. a `whenScaled: Delete` retention policy removed it. */
  alreadyGone: boolean;
  /** The volume the claim was bound to, if any. */
  volumeName?: string | undefined;
}

/** Pods in the namespace that mount the claim. */
async function podsUsing(kube: Kube, namespace: string, claim: string): Promise<string[]> {
  const pods = await callApi({ verb: 'list', resource: 'pods', namespace }, { idempotent: true }, () => kube.core.listNamespacedPod({ namespace }));
  return pods.items
    .filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim))
    .map((p) => p.metadata?.name ?? '');
}

/**
 * Deletes a PersistentVolumeClaim and waits until it is really gone: "DELETE succeeded" only sets a deletion
 * timestamp while the `kubernetes.io/pvc-protection` finalizer holds it for a pod that still uses it. A 404, on the
 * delete or while waiting, is success. Progress names what still holds the claim.
 *
 * @example
 * const { alreadyGone } = await deletePersistentVolumeClaim(kube, { namespace: 'openmeet-dev', name: 'data-matrix-0' });
 */
export async function deletePersistentVolumeClaim(kube: Kube, options: DeletePvcOptions): Promise<DeletePvcResult> {
  const { namespace, name } = options;
  const request = { verb: 'delete', resource: 'persistentvolumeclaims', namespace, name };
  const before = await readOrUndefined({ ...request, verb: 'get' }, () => kube.core.readNamespacedPersistentVolumeClaim({ name, namespace }));
  if (before === undefined) return { alreadyGone: true };
  if (options.expectedUid !== undefined && before.metadata?.uid !== options.expectedUid) {
    // The claim we planned to delete is already gone; this one is newer and not ours to delete.
    return { alreadyGone: true, volumeName: undefined };
  }
  try {
    await callApi(request, { idempotent: true }, () =>
      kube.core.deleteNamespacedPersistentVolumeClaim({
        name,
        namespace,
        body: {
          propagationPolicy: 'Background',
          ...(options.expectedUid ? { preconditions: { uid: options.expectedUid } } : {}),
        },
      }),
    );
  } catch (error) {
    if (isK8sOpsError(error, 'not_found')) return { alreadyGone: true, volumeName: before.spec?.volumeName };
    throw error;
  }
  let holders: string[] | undefined;
  await waitForObjects<V1PersistentVolumeClaim, void>(kube, {
    request: { ...request, verb: 'watch' },
    list: () => kube.core.listNamespacedPersistentVolumeClaim({ namespace, fieldSelector: `metadata.name=${name}` }),
    watchPath: `/api/v1/namespaces/${namespace}/persistentvolumeclaims`,
    fieldSelector: `metadata.name=${name}`,
    check: (claims) => {
      const claim = claims.get(name);
      if (claim === undefined || (options.expectedUid && claim.metadata?.uid !== options.expectedUid)) return { done: true, value: undefined };
      const finalizers = claim.metadata?.finalizers ?? [];
      const pods = holders?.length ? `; pods still using it: ${holders.join(', ')}` : '';
      return { done: false, waitingFor: `claim ${name} to go (terminating, finalizers: ${finalizers.join(', ') || 'none'}${pods})` };
    },
    timeoutMs: options.timeoutMs ?? 300_000,
    onProgress: (progress) => {
      options.onProgress?.(progress);
      if (holders === undefined) {
        holders = [];
        podsUsing(kube, namespace, name).then(
          (found) => (holders = found),
          () => undefined,
        );
      }
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { alreadyGone: false, volumeName: before.spec?.volumeName };
}

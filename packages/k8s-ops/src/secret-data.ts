import { PatchStrategy, setHeaderOptions, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import { callApi, readOrUndefined } from './call-api.ts';
import { K8sOpsError, isK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { detectSecretManager, type SecretManager } from './secret-manager.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type KeyedObjectKind = 'Secret' | 'ConfigMap';

export interface KeyRef {
  kind?: KeyedObjectKind;
  namespace: string;
  name: string;
  key: string;
}

/** One key of a Secret or ConfigMap as it is now. The value is plain text (Secrets are decoded). */
export interface KeyValue {
  exists: boolean;
  /** Whether the object exists at all. */
  objectExists: boolean;
  value: string | undefined;
  resourceVersion: string | undefined;
  managedBy: SecretManager | undefined;
}

function resourceOf(kind: KeyedObjectKind): string {
  return kind === 'Secret' ? 'secrets' : 'configmaps';
}

async function readObject(kube: Kube, kind: KeyedObjectKind, namespace: string, name: string): Promise<V1Secret | V1ConfigMap | undefined> {
  const request = { verb: 'get', resource: resourceOf(kind), namespace, name };
  return kind === 'Secret'
    ? readOrUndefined(request, () => kube.core.readNamespacedSecret({ name, namespace }))
    : readOrUndefined(request, () => kube.core.readNamespacedConfigMap({ name, namespace }));
}

function valueOf(kind: KeyedObjectKind, object: V1Secret | V1ConfigMap, key: string): string | undefined {
  const raw = object.data?.[key];
  if (raw === undefined) return undefined;
  return kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

/**
 * Reads one key of a Secret (decoded) or ConfigMap, with the object's resourceVersion and who manages it.
 *
 * @example
 * const { value, resourceVersion } = await readKey(kube, { namespace: 'openmeet-dev', name: 'openmeet-api-secrets', key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
 */
export async function readKey(kube: Kube, ref: KeyRef): Promise<KeyValue> {
  const kind = ref.kind ?? 'Secret';
  const object = await readObject(kube, kind, ref.namespace, ref.name);
  if (object === undefined) return { exists: false, objectExists: false, value: undefined, resourceVersion: undefined, managedBy: undefined };
  const value = valueOf(kind, object, ref.key);
  return {
    exists: value !== undefined,
    objectExists: true,
    value,
    resourceVersion: object.metadata?.resourceVersion,
    managedBy: detectSecretManager(object.metadata),
  };
}

export interface WriteKeyOptions extends KeyRef {
  /** The new value (plain text); `null` removes the key. */
  value: string | null;
  /** Write only if the object is still at this resourceVersion (409 -> `stale_precondition`). */
  expectedResourceVersion?: string;
  /** Create the object when it does not exist (default false: a missing object is an error). */
  create?: boolean;
  /** Write even though External Secrets, Argo CD, Flux or Helm manage the object (default false: refused). */
  overrideManager?: boolean;
}

export interface WriteKeyResult {
  /** False when the key already held the value (nothing was written). */
  changed: boolean;
  resourceVersion: string;
  /** The value before, for a caller that keeps a backup; undefined when the key did not exist. */
  previous: string | undefined;
}

/**
 * Sets one key of a Secret or ConfigMap and keeps every other key: a merge patch carrying the resourceVersion it
 * read, so a concurrent writer answers 409 rather than being overwritten. Writes nothing when the value is already
 * there. Refuses objects someone else manages (External Secrets, Argo CD, Flux, Helm), saying what to do instead.
 *
 * @example
 * const { resourceVersion } = await readKey(kube, { namespace, name: 'openmeet-api-secrets', key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
 * await writeKey(kube, { namespace, name: 'openmeet-api-secrets', key: 'MATRIX_ADMIN_ACCESS_TOKEN', value: 'syt_new_token', expectedResourceVersion: resourceVersion });
 */
export async function writeKey(kube: Kube, options: WriteKeyOptions): Promise<WriteKeyResult> {
  const kind = options.kind ?? 'Secret';
  const { namespace, name, key } = options;
  const request = { verb: 'patch', resource: resourceOf(kind), namespace, name };
  const current = await readObject(kube, kind, namespace, name);
  if (current === undefined) {
    if (!options.create || options.value === null) {
      throw new K8sOpsError('not_found', `${kind} ${namespace}/${name} does not exist`, {
        request,
        nextSteps: [`Create the ${kind} first, or allow creating it.`],
      });
    }
    const data = kind === 'Secret' ? { [key]: Buffer.from(options.value).toString('base64') } : { [key]: options.value };
    const created = await callApi({ ...request, verb: 'create' }, { idempotent: false }, () =>
      kind === 'Secret'
        ? kube.core.createNamespacedSecret({ namespace, body: { metadata: { name, namespace }, type: 'Opaque', data } })
        : kube.core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace }, data } }),
    );
    return { changed: true, resourceVersion: created.metadata?.resourceVersion ?? '', previous: undefined };
  }
  const resourceVersion = current.metadata?.resourceVersion ?? '';
  if (options.expectedResourceVersion !== undefined && options.expectedResourceVersion !== resourceVersion) {
    throw new K8sOpsError('stale_precondition', `${kind} ${namespace}/${name} changed since it was read (resourceVersion ${options.expectedResourceVersion} -> ${resourceVersion})`, {
      request,
      nextSteps: ['Read it again (or make a new plan) before writing.'],
    });
  }
  const manager = detectSecretManager(current.metadata);
  if (manager !== undefined && !options.overrideManager) {
    throw new K8sOpsError('managed_secret', `${kind} ${namespace}/${name} is managed by ${manager.kind} (${manager.evidence}); writing it directly would be reverted`, {
      request,
      nextSteps: manager.nextSteps,
    });
  }
  const previous = valueOf(kind, current, key);
  if (previous === (options.value ?? undefined)) return { changed: false, resourceVersion, previous };
  const encoded = options.value === null ? null : kind === 'Secret' ? Buffer.from(options.value).toString('base64') : options.value;
  const body = { metadata: { resourceVersion }, data: { [key]: encoded } };
  try {
    const patched = await callApi(request, { idempotent: true }, () =>
      kind === 'Secret'
        ? kube.core.patchNamespacedSecret({ name, namespace, body }, mergePatch)
        : kube.core.patchNamespacedConfigMap({ name, namespace, body }, mergePatch),
    );
    return { changed: true, resourceVersion: patched.metadata?.resourceVersion ?? '', previous };
  } catch (error) {
    if (isK8sOpsError(error, 'conflict')) {
      throw new K8sOpsError('stale_precondition', `${kind} ${namespace}/${name} was changed by someone else while it was being written`, {
        request,
        cause: error,
        nextSteps: ['Read it again and retry; nothing was written.'],
      });
    }
    throw error;
  }
}

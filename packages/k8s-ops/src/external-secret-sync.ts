import { PatchStrategy, setHeaderOptions, type V1Secret } from '@kubernetes/client-node';
import { callApi, readOrUndefined } from './call-api.ts';
import type { Kube } from './kube-config.ts';
import { waitForObjects, type WaitProgress } from './wait-for-objects.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const GROUP = 'external-secrets.io';
const VERSION = 'v1';

export interface ForceSyncOptions {
  namespace: string;
  /** The ExternalSecret's name. */
  name: string;
  /**
   * When the sync counts as done, judged on the target Secret; default: its resourceVersion moved on.
   * Pass a check of the expected value (without logging it) to wait for a particular rotation.
   */
  until?: (secret: V1Secret) => boolean;
  timeoutMs?: number;
  onProgress?: (progress: WaitProgress) => void;
  now?: Date;
}

interface ExternalSecretObject {
  spec?: { target?: { name?: string } };
}

/**
 * Forces an External Secrets Operator resync of one ExternalSecret (annotation `force-sync=<epoch seconds>`) and
 * waits until its target Secret has changed, so a value written to the source (SSM) reaches the cluster now
 * rather than on the next refresh interval.
 *
 * @example
 * await forceExternalSecretSync(kube, { namespace: 'openmeet-dev', name: 'openmeet-api-secrets',
 *   until: (s) => s.data?.MATRIX_ADMIN_USER !== undefined });
 */
export async function forceExternalSecretSync(kube: Kube, options: ForceSyncOptions): Promise<V1Secret> {
  const { namespace, name } = options;
  const request = { verb: 'patch', resource: `externalsecrets.${GROUP}`, namespace, name };
  const es = (await callApi({ ...request, verb: 'get' }, { idempotent: true }, () =>
    kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'externalsecrets', name }),
  )) as ExternalSecretObject;
  const target = es.spec?.target?.name ?? name;
  const before = await readOrUndefined({ verb: 'get', resource: 'secrets', namespace, name: target }, () =>
    kube.core.readNamespacedSecret({ name: target, namespace }),
  );
  const beforeVersion = before?.metadata?.resourceVersion;
  const stamp = String(Math.floor((options.now ?? new Date()).getTime() / 1000));
  await callApi(request, { idempotent: true }, () =>
    kube.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: 'externalsecrets', name, body: { metadata: { annotations: { 'force-sync': stamp } } } },
      mergePatch,
    ),
  );
  const until = options.until ?? ((secret: V1Secret) => secret.metadata?.resourceVersion !== beforeVersion);
  return waitForObjects<V1Secret, V1Secret>(kube, {
    request: { verb: 'watch', resource: 'secrets', namespace, name: target },
    list: () => kube.core.listNamespacedSecret({ namespace, fieldSelector: `metadata.name=${target}` }),
    watchPath: `/api/v1/namespaces/${namespace}/secrets`,
    fieldSelector: `metadata.name=${target}`,
    check: (secrets) => {
      const secret = secrets.get(target);
      return secret !== undefined && until(secret)
        ? { done: true, value: secret }
        : { done: false, waitingFor: `ExternalSecret ${name} to update Secret ${target}` };
    },
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

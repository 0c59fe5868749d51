import type { Kube, KeyValue } from '@matrix-reset/k8s-ops';
import type * as K8sOps from '@matrix-reset/k8s-ops';
import { SecretsError, type SecretsErrorCode } from './secrets-error.ts';
import { versionConflictError, type SecretReading, type SecretStore, type SecretWriteOptions, type SecretWriteResult } from './secret-store.ts';
import { plaintext, scrubbedCause, SecretValue } from './secret-value.ts';

export interface K8sSecretStoreOptions {
  kube: Kube;
  namespace: string;
  name: string;
  key: string;
  /**
   * The Secret that keeps the previous value, in the same namespace (default `<name>-matrix-reset-backup`):
   * the backup stays inside the cluster, under the same RBAC as the Secret, never on disk.
   */
  backupName?: string;
}

/** A Kubernetes-Secret-backed {@link SecretStore}. */
export interface K8sSecretStore extends SecretStore {
  readonly kind: 'k8s-secret';
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly backupName: string;
}

const K8S_TO_SECRETS: Partial<Record<string, SecretsErrorCode>> = {
  forbidden: 'access_denied',
  not_found: 'not_found',
  stale_precondition: 'version_conflict',
  conflict: 'version_conflict',
  managed_secret: 'managed_externally',
  throttled: 'throttled',
};

// k8s-ops (and @kubernetes/client-node under it) loads at a store's first request, not with this package: a program
// that never opens a `k8s-secret:` reference never loads it. Whoever built the `Kube` has loaded it already.
let k8sOps: typeof K8sOps | undefined;
async function loadK8sOps(): Promise<typeof K8sOps> {
  return (k8sOps ??= await import('@matrix-reset/k8s-ops'));
}

/** The backup Secret's name for a Secret: at most 253 characters, as Kubernetes allows. */
function defaultBackupName(name: string): string {
  const suffix = '-matrix-reset-backup';
  return `${name.slice(0, 253 - suffix.length)}${suffix}`;
}

/**
 * One key of a Kubernetes Secret as a {@link SecretStore}. A write patches that key only (the other keys stay),
 * with the resourceVersion it read as precondition, after copying the value it replaces into a backup Secret in the
 * same namespace; `restorePrevious` swaps them back. Secrets managed by External Secrets, Argo CD, Flux or Helm are
 * refused with `managed_externally`, whose next steps say what to write instead.
 *
 * @example
 * ```ts
 * const store = k8sSecretStore({ kube, namespace: 'openmeet-dev', name: 'openmeet-api-secrets', key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
 * const before = await store.read();
 * await store.write(token, { expectedVersion: before.version });
 * ```
 */
export function k8sSecretStore(options: K8sSecretStoreOptions): K8sSecretStore {
  const { kube, namespace, name, key } = options;
  const backupName = options.backupName ?? defaultBackupName(name);
  const reference = `k8s-secret:${namespace}/${name}#${key}`;

  const fail = (error: unknown, operation: string, values: readonly (string | SecretValue | undefined)[]): never => {
    if (error instanceof SecretsError) throw error;
    if (k8sOps !== undefined && k8sOps.isK8sOpsError(error)) {
      throw new SecretsError({
        code: K8S_TO_SECRETS[error.code] ?? 'store_error',
        reference,
        message: `${reference}: ${operation} failed: ${error.message}`,
        nextSteps: error.nextSteps,
        cause: scrubbedCause(error, values),
      });
    }
    throw error;
  };
  const reading = (found: KeyValue): SecretReading => ({
    exists: found.exists,
    value: found.value === undefined ? undefined : new SecretValue(found.value),
    version: found.resourceVersion,
  });
  const readBackup = async (): Promise<KeyValue> => {
    try {
      return await (await loadK8sOps()).readKey(kube, { namespace, name: backupName, key });
    } catch (error) {
      return fail(error, 'reading the backup', []);
    }
  };

  const store: K8sSecretStore = {
    kind: 'k8s-secret',
    reference,
    writable: true,
    namespace,
    name,
    key,
    backupName,
    describe: () => `Kubernetes Secret ${namespace}/${name} key ${key} (backup in Secret ${backupName})`,
    read: async () => {
      try {
        return reading(await (await loadK8sOps()).readKey(kube, { namespace, name, key }));
      } catch (error) {
        return fail(error, 'read', []);
      }
    },
    write: async (value: string | SecretValue, writeOptions: SecretWriteOptions = {}): Promise<SecretWriteResult> => {
      const next = plaintext(value);
      let current: KeyValue | undefined;
      try {
        const { readKey, writeKey } = await loadK8sOps();
        current = await readKey(kube, { namespace, name, key });
        if (!current.objectExists) {
          throw new SecretsError({
            code: 'not_found',
            reference,
            message: `${reference}: Secret ${namespace}/${name} does not exist`,
            nextSteps: [`Create the Secret (or fix the reference); matrix-reset writes keys of existing Secrets only.`],
          });
        }
        if (writeOptions.expectedVersion !== undefined && writeOptions.expectedVersion !== current.resourceVersion) {
          throw versionConflictError(reference, writeOptions.expectedVersion, current.resourceVersion);
        }
        if (current.managedBy !== undefined) {
          throw new SecretsError({
            code: 'managed_externally',
            reference,
            message: `${reference} is managed by ${current.managedBy.kind} (${current.managedBy.evidence}); a direct write would be reverted`,
            nextSteps: current.managedBy.nextSteps,
          });
        }
        const backup = await readKey(kube, { namespace, name: backupName, key });
        if (current.value === next) return { changed: false, version: current.resourceVersion ?? '', previousVersion: backup.resourceVersion };
        let previousVersion = backup.resourceVersion;
        if (current.value !== undefined) {
          const saved = await writeKey(kube, { namespace, name: backupName, key, value: current.value, create: true });
          previousVersion = saved.resourceVersion;
        }
        const written = await writeKey(kube, { namespace, name, key, value: next, expectedResourceVersion: current.resourceVersion! });
        return { changed: true, version: written.resourceVersion, previousVersion };
      } catch (error) {
        return fail(error, 'write', [next, current?.value]);
      }
    },
    readPrevious: async () => reading(await readBackup()),
    restorePrevious: async (writeOptions: SecretWriteOptions = {}) => {
      const previous = await readBackup();
      if (previous.value === undefined) {
        throw new SecretsError({
          code: 'no_previous_version',
          reference,
          message: `${reference}: there is no previous value in Secret ${namespace}/${backupName}`,
          nextSteps: ['Nothing to restore: matrix-reset keeps a previous value only once it has replaced one.'],
        });
      }
      return store.write(previous.value, writeOptions);
    },
  };
  return Object.freeze(store);
}

/**
 * The `kubernetes` factory {@link openSecretStore} takes: opens `k8s-secret:` references on one cluster.
 *
 * @example
 * ```ts
 * const store = openSecretStore('k8s-secret:openmeet-dev/openmeet-api-secrets#MATRIX_ADMIN_ACCESS_TOKEN',
 *   { kubernetes: kubernetesSecretStores(kube) });
 * ```
 */
export function kubernetesSecretStores(kube: Kube): (reference: { namespace: string; name: string; key: string }) => K8sSecretStore {
  return (reference) => k8sSecretStore({ kube, namespace: reference.namespace, name: reference.name, key: reference.key });
}

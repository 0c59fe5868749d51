import { SecretsError } from './secrets-error.ts';
import type { SecretValue } from './secret-value.ts';

export type SecretStoreKind = 'ssm' | 'k8s-secret' | 'dotenv' | 'env' | 'file';

/** What a store holds now. `version` is opaque: an SSM version number, a Kubernetes resourceVersion, a file hash. */
export interface SecretReading {
  readonly exists: boolean;
  readonly value: SecretValue | undefined;
  readonly version: string | undefined;
}

export interface SecretWriteOptions {
  /**
   * Write only if the store is still at this version (from an earlier `read()`), else fail with `version_conflict`.
   * Kubernetes enforces it server-side (resourceVersion); SSM and `.env` check it just before writing.
   */
  expectedVersion?: string;
}

export interface SecretWriteResult {
  /** False when the store already held the value (nothing was written: put-if-different). */
  readonly changed: boolean;
  readonly version: string;
  /** The version now kept as "previous" (the backup), when there is one. */
  readonly previousVersion: string | undefined;
}

/**
 * One place a secret lives (SSM parameter, Kubernetes Secret key, `.env` key, environment variable, file), with
 * the same four operations everywhere: say what it holds, write a new value keeping the previous one, read that
 * previous one, and restore it (as a new write, so the history keeps both).
 *
 * The Kubernetes Secret store ({@link k8sSecretStore}) patches one key (keeping the others) with a resourceVersion
 * precondition, keeps the backup copy in a backup Secret in the same namespace, and refuses Secrets another tool
 * manages (External Secrets, Sealed Secrets, Argo CD, Flux, Helm) with `managed_externally`.
 *
 * @example
 * ```ts
 * import { SSMClient } from '@aws-sdk/client-ssm';
 *
 * const store = openSecretStore('ssm:/matrix/admin-token', { ssm: new SSMClient({}) });
 * const before = await store.read();
 * await store.write(token, { expectedVersion: before.version });
 * // ...something went wrong:
 * await store.restorePrevious();
 * ```
 */
export interface SecretStore {
  readonly kind: SecretStoreKind;
  /** The reference in text form (`ssm:/matrix/admin-token`). */
  readonly reference: string;
  readonly writable: boolean;
  /** One line for plans and logs: kind, location, never the value. */
  describe(): string;
  read(): Promise<SecretReading>;
  write(value: string | SecretValue, options?: SecretWriteOptions): Promise<SecretWriteResult>;
  /** The previous value kept by the last write (SSM: the `previous` label; `.env`: the newest backup that differs). */
  readPrevious(): Promise<SecretReading>;
  /** Writes the previous value back as a new version; the value it replaces becomes the previous one. */
  restorePrevious(options?: SecretWriteOptions): Promise<SecretWriteResult>;
}

/**
 * The error a read-only store (`env:`, `file:`) throws on write.
 *
 * @example
 * ```ts
 * throw readOnlyError('env:TOKEN');
 * ```
 */
export function readOnlyError(reference: string): SecretsError {
  return new SecretsError({
    code: 'read_only_store',
    reference,
    message: `${reference} is read-only: environment variables and plain files are only read by matrix-reset`,
    nextSteps: ['Point the config at a writable store (ssm:, k8s-secret: or dotenv:), or update the value where it comes from.'],
  });
}

/**
 * The `version_conflict` error for a precondition that no longer holds.
 *
 * @example
 * ```ts
 * throw versionConflictError('ssm:/a', '3', '4');
 * ```
 */
export function versionConflictError(reference: string, expected: string, actual: string | undefined): SecretsError {
  return new SecretsError({
    code: 'version_conflict',
    reference,
    message: `${reference} changed since it was read: expected version ${expected}, found ${actual ?? 'none'}`,
    nextSteps: ['Someone else wrote it in the meantime: read it again, decide, and write with the new version.'],
  });
}

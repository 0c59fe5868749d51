import { dotenvFileStore } from './dotenv-file-store.ts';
import { envVarStore, secretFileStore } from './read-only-stores.ts';
import { SecretsError } from './secrets-error.ts';
import { formatSecretReference, parseSecretReference, type SecretReference } from './secret-reference.ts';
import type { SecretStore } from './secret-store.ts';
import { ssmParameterStore, type SsmClientSource } from './ssm-parameter-store.ts';

export interface OpenSecretStoreDependencies {
  /** Needed for `ssm:` references: a client, or a function making one at the store's first request. */
  ssm?: SsmClientSource;
  /** KMS key for new SSM SecureString versions. */
  ssmKeyId?: string;
  /** For `env:` references (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Makes `k8s-secret:` stores (the Kubernetes Secret store plugs in here). */
  kubernetes?: (reference: Extract<SecretReference, { scheme: 'k8s-secret' }>) => SecretStore;
}

/**
 * Opens the store a reference names (text or parsed): `ssm:`, `dotenv:`, `env:` and `file:` (the last two
 * read-only); `k8s-secret:` through `dependencies.kubernetes`.
 *
 * @example
 * ```ts
 * import { SSMClient } from '@aws-sdk/client-ssm';
 *
 * const store = openSecretStore('dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN');
 * const ssm = openSecretStore('ssm:/matrix/admin-token', { ssm: new SSMClient({}) });
 * ```
 */
export function openSecretStore(reference: string | SecretReference, dependencies: OpenSecretStoreDependencies = {}): SecretStore {
  const ref = typeof reference === 'string' ? parseSecretReference(reference) : reference;
  switch (ref.scheme) {
    case 'ssm':
      if (dependencies.ssm === undefined) {
        throw new SecretsError({
          code: 'unsupported_store',
          reference: formatSecretReference(ref),
          message: `${formatSecretReference(ref)} needs an SSM client and none was given`,
          nextSteps: ['Pass { ssm: new SSMClient({ region }) } to openSecretStore.'],
        });
      }
      return ssmParameterStore({ client: dependencies.ssm, name: ref.name, keyId: dependencies.ssmKeyId });
    case 'dotenv':
      return dotenvFileStore({ path: ref.path, key: ref.key });
    case 'env':
      return envVarStore({ variable: ref.variable, env: dependencies.env });
    case 'file':
      return secretFileStore({ path: ref.path });
    case 'k8s-secret':
      if (dependencies.kubernetes === undefined) {
        throw new SecretsError({
          code: 'unsupported_store',
          reference: formatSecretReference(ref),
          message: `${formatSecretReference(ref)}: the Kubernetes Secret store is not available in this build`,
          nextSteps: ['Pass { kubernetes: (ref) => store } to openSecretStore, or use ssm:/dotenv: meanwhile.'],
        });
      }
      return dependencies.kubernetes(ref);
  }
}

export { SecretsError, isSecretsError, type SecretsErrorCode, type SecretsErrorOptions } from './secrets-error.ts';
export { SecretValue, REDACTED, plaintext, redactValues, scrubbedCause } from './secret-value.ts';
export { parseSecretReference, formatSecretReference, REFERENCE_EXAMPLES, type SecretReference } from './secret-reference.ts';
export {
  readOnlyError,
  versionConflictError,
  type SecretStore,
  type SecretStoreKind,
  type SecretReading,
  type SecretWriteOptions,
  type SecretWriteResult,
} from './secret-store.ts';
export { ssmParameterStore, type SsmClientSource, type SsmParameterStore, type SsmParameterStoreOptions, type SsmParameterVersion } from './ssm-parameter-store.ts';
export { parseDotenv, formatDotenvValue, getDotenvValue, setDotenvValue, removeDotenvKey, type DotenvAssignment } from './dotenv-format.ts';
export { atomicWriteFile } from './atomic-write-file.ts';
export { dotenvFileStore, writeDotenvKeys, type DotenvFileStore, type DotenvFileStoreOptions, type DotenvKeysWriteResult } from './dotenv-file-store.ts';
export { envVarStore, secretFileStore } from './read-only-stores.ts';
export { k8sSecretStore, kubernetesSecretStores, type K8sSecretStore, type K8sSecretStoreOptions } from './k8s-secret-store.ts';
export { openSecretStore, type OpenSecretStoreDependencies } from './open-secret-store.ts';

import { stat } from 'node:fs/promises';
import { parseSecretReference, type SecretReading, type SecretStore, type SecretValue } from '@matrix-reset/secrets';
import type { EnvironmentConfig } from './reset-config.ts';
import { ResetError } from '../reset-error.ts';

/** One secret reference an environment's config names, and what it should hold (for messages, never a value). */
export interface ConfiguredReference {
  /** Its path in the environment: `appDatabase.url`, `synapse.sharedSecret`, `adminToken[0].token`. */
  readonly field: string;
  readonly reference: string;
  /** What it holds: `the app database's connection string`. */
  readonly what: string;
  /** A placeholder of the value for a next step (`postgres://USER@HOST:5432/DATABASE`), never a real one. */
  readonly example: string;
}

/** Why a reference holds no value, and how to put one there. Names variables, files and keys, never a value. */
export interface EmptyReferenceExplanation {
  readonly problem: string;
  readonly fix: string;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}

/**
 * Says why `configured.reference` holds no value (`reading` is what its store read): an environment variable not set,
 * a `.env` file that does not exist or has no such key, a missing file, SSM parameter or Secret key; and what to do.
 *
 * @example
 * ```ts
 * const configured = { field: 'appDatabase.url', reference: 'env:APP_DB_URL', what: 'the app database URL', example: 'postgres://USER@HOST/DB' };
 * const { problem } = await explainEmptyReference(configured, { exists: false, value: undefined, version: undefined });
 * // 'the environment variable APP_DB_URL is not set'
 * ```
 */
export async function explainEmptyReference(configured: ConfiguredReference, reading: SecretReading): Promise<EmptyReferenceExplanation> {
  const parsed = parseSecretReference(configured.reference);
  const { what, example, field } = configured;
  switch (parsed.scheme) {
    case 'env':
      return {
        problem: `the environment variable ${parsed.variable} is ${reading.exists ? 'empty' : 'not set'}`,
        fix: `Set it before running: export ${parsed.variable}=${example} (or point ${field} elsewhere).`,
      };
    case 'dotenv':
      if (!(await fileExists(parsed.path))) {
        return {
          problem: `the file ${parsed.path} does not exist`,
          fix: `Correct the path in ${field}, or create ${parsed.path} (mode 0600) holding the line ${parsed.key}=${example}.`,
        };
      }
      return {
        problem: reading.exists ? `the key ${parsed.key} is empty in ${parsed.path}` : `the file ${parsed.path} has no key ${parsed.key}`,
        fix: `Check the key's spelling in ${field}, or add the line ${parsed.key}=${example} to ${parsed.path}.`,
      };
    case 'file':
      return (await fileExists(parsed.path))
        ? { problem: `the file ${parsed.path} is empty`, fix: `Write ${what} to ${parsed.path}, or point ${field} elsewhere.` }
        : { problem: `the file ${parsed.path} does not exist`, fix: `Correct the path in ${field}, or write ${what} to ${parsed.path} (mode 0600).` };
    case 'ssm':
      return {
        problem: `the SSM parameter ${parsed.name} does not exist or is empty`,
        fix: `Check the parameter name in ${field} (and the AWS account and region), or store ${what} in ${parsed.name} as a SecureString.`,
      };
    case 'k8s-secret':
      return {
        problem: `the Secret ${parsed.namespace}/${parsed.name} has no key ${parsed.key} (or does not exist)`,
        fix: `Check the reference in ${field} (and the kubeconfig context), or add ${what} under the key ${parsed.key} of the Secret ${parsed.namespace}/${parsed.name}.`,
      };
  }
}

/**
 * `config_invalid` for a configured reference that holds no value, in the form of the config's schema errors:
 * `<file>:<line>:<col>: environments.<env>.<field>: <reference> holds no value: <why>` (the location when the
 * environment was read from a file), the fix first among the next steps, then `moreSteps`.
 *
 * @example
 * ```ts
 * const environment = resolveEnvironment(await loadResetConfig(), 'dev');
 * const configured = { field: 'appDatabase.url', reference: environment.appDatabase.url, what: 'the app database URL', example: 'postgres://USER@HOST/DB' };
 * const reading = { exists: false, value: undefined, version: undefined };
 * throw emptyReferenceError(environment, configured, await explainEmptyReference(configured, reading));
 * ```
 */
export function emptyReferenceError(
  environment: Pick<EnvironmentConfig, 'name' | 'origin'>,
  configured: ConfiguredReference,
  explanation: EmptyReferenceExplanation,
  moreSteps: readonly string[] = [],
): ResetError {
  const location = environment.origin?.references[configured.field] ?? environment.origin?.file;
  const where = `environments.${environment.name}.${configured.field}`;
  return new ResetError('config_invalid', `${location === undefined ? '' : `${location}: `}${where}: ${configured.reference} holds no value: ${explanation.problem}`, {
    nextSteps: [explanation.fix, ...moreSteps],
  });
}

/**
 * Reads a secret the environment's config points at (the app database URL, the shared secret) and returns it; a
 * reference that holds nothing (or an empty value) is `config_invalid` naming the reference, where it is written in
 * the config and why it is empty ({@link explainEmptyReference}): a configured secret that cannot be read is an
 * error, not an absence. `moreSteps` follow the fix among the next steps.
 *
 * @example
 * ```ts
 * import { openSecretStore } from '@matrix-reset/secrets';
 *
 * const environment = resolveEnvironment(await loadResetConfig(), 'dev');
 * const url = await readConfiguredSecret(
 *   environment,
 *   { field: 'appDatabase.url', reference: environment.appDatabase.url, what: 'the app database URL', example: 'postgres://USER@HOST/DB' },
 *   (reference) => openSecretStore(reference),
 * );
 * ```
 */
export async function readConfiguredSecret(
  environment: Pick<EnvironmentConfig, 'name' | 'origin'>,
  configured: ConfiguredReference,
  open: (reference: string) => SecretStore,
  moreSteps: readonly string[] = [],
): Promise<SecretValue> {
  const reading = await open(configured.reference).read();
  if (reading.exists && reading.value !== undefined && reading.value.length > 0) return reading.value;
  throw emptyReferenceError(environment, configured, await explainEmptyReference(configured, reading), moreSteps);
}

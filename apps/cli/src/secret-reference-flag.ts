import { UsageError } from './usage-error.ts';

const REFERENCE = /^(file|env|ssm|dotenv|k8s-secret):./;

/**
 * Checks that a flag names WHERE a secret is kept (`file:/path`, `env:VAR`, `ssm:/name`, `dotenv:path#KEY`,
 * `k8s-secret:ns/name#key`) and is not the secret itself, which would end up in shell history and `ps`.
 * The message never repeats the value.
 *
 * @example
 * secretReferenceFlag('--shared-secret', 'file:/run/synapse/shared-secret'); // returns it
 */
export function secretReferenceFlag(flag: string, value: string): string {
  if (REFERENCE.test(value)) return value;
  throw new UsageError(`${flag} takes a reference to where the secret is kept, not the secret itself (the value given is not shown)`, {
    nextSteps: [
      `Put the secret in a file and pass ${flag} file:/path/to/secret`,
      `Or name an environment variable: ${flag} env:SYNAPSE_SHARED_SECRET`,
      'Other forms: ssm:/parameter/name, dotenv:.env#KEY, k8s-secret:namespace/name#key',
    ],
  });
}

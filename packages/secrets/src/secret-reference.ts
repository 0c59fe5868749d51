import { SecretsError } from './secrets-error.ts';

/** A parsed reference to where a secret lives. */
export type SecretReference =
  | { readonly scheme: 'ssm'; readonly name: string }
  | { readonly scheme: 'k8s-secret'; readonly namespace: string; readonly name: string; readonly key: string }
  | { readonly scheme: 'env'; readonly variable: string }
  | { readonly scheme: 'file'; readonly path: string }
  | { readonly scheme: 'dotenv'; readonly path: string; readonly key: string };

/**
 * One well-formed reference per scheme, as shown in `invalid_reference` errors.
 *
 * @example
 * ```ts
 * parseSecretReference(REFERENCE_EXAMPLES.dotenv); // { scheme: 'dotenv', path: '.env', key: 'MATRIX_ADMIN_ACCESS_TOKEN' }
 * ```
 */
export const REFERENCE_EXAMPLES = Object.freeze({
  ssm: 'ssm:/matrix/admin-token',
  'k8s-secret': 'k8s-secret:matrix/synapse-secrets#admin-token',
  env: 'env:MATRIX_ADMIN_ACCESS_TOKEN',
  file: 'file:/run/secrets/registration_shared_secret',
  dotenv: 'dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN',
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SSM_NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;

/**
 * The `invalid_reference` error. It never repeats the text nor any part of it: a malformed reference is often a
 * value pasted where a reference belongs (a database URL with its password after `env:`, a token after `dotenv:`).
 */
function invalid(problem: string, scheme?: keyof typeof REFERENCE_EXAMPLES): SecretsError {
  const examples = scheme === undefined ? Object.values(REFERENCE_EXAMPLES) : [REFERENCE_EXAMPLES[scheme]];
  return new SecretsError({
    code: 'invalid_reference',
    message: `Malformed secret reference${scheme === undefined ? '' : ` (${scheme}:)`}: ${problem} (its text is not shown: it may be a secret value pasted in)`,
    nextSteps: [`Write it like ${examples.join(' or ')}.`],
  });
}

/**
 * Parses a secret reference from a config: `ssm:/path`, `k8s-secret:ns/name#key`, `env:VAR`, `file:path`,
 * `dotenv:path#KEY`. Throws `invalid_reference` saying what is wrong, with an example of the right form, and
 * nothing of the text itself.
 *
 * @example
 * ```ts
 * parseSecretReference('k8s-secret:matrix/synapse#admin-token');
 * // { scheme: 'k8s-secret', namespace: 'matrix', name: 'synapse', key: 'admin-token' }
 * ```
 */
export function parseSecretReference(text: string): SecretReference {
  const colon = text.indexOf(':');
  if (colon <= 0) throw invalid('it has no scheme (the part before the first ":")');
  const scheme = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (scheme) {
    case 'ssm': {
      if (rest === '') throw invalid('the parameter name is empty', 'ssm');
      if (!SSM_NAME.test(rest)) throw invalid('an SSM parameter name has only a-z, A-Z, 0-9, _ . - / (no version or label selector)', 'ssm');
      if (/^\/?(aws|ssm)/i.test(rest)) throw invalid('parameter names cannot start with "aws" or "ssm"', 'ssm');
      if (rest.includes('/') && !rest.startsWith('/')) throw invalid('a hierarchical parameter name must start with "/"', 'ssm');
      return Object.freeze({ scheme: 'ssm', name: rest });
    }
    case 'k8s-secret': {
      const match = /^([^/#]*)\/([^/#]*)#(.*)$/.exec(rest);
      if (!match) throw invalid('expected <namespace>/<secret name>#<key>', 'k8s-secret');
      const [, namespace = '', name = '', key = ''] = match;
      if (!DNS_LABEL.test(namespace)) throw invalid(`the namespace is not a DNS label (a-z, 0-9, -, at most 63)`, 'k8s-secret');
      if (!DNS_SUBDOMAIN.test(name)) throw invalid(`the secret name is not a DNS subdomain (a-z, 0-9, - and .)`, 'k8s-secret');
      if (!SECRET_KEY.test(key)) throw invalid(`the key must be 1-253 of a-z, A-Z, 0-9, - _ .`, 'k8s-secret');
      return Object.freeze({ scheme: 'k8s-secret', namespace, name, key });
    }
    case 'env':
      if (!ENV_NAME.test(rest)) throw invalid('what follows "env:" is not an environment variable name (A-Z, a-z, 0-9, _, not starting with a digit)', 'env');
      return Object.freeze({ scheme: 'env', variable: rest });
    case 'file':
      if (rest === '') throw invalid('the path is empty', 'file');
      if (rest.includes('\0')) throw invalid('the path contains a NUL byte', 'file');
      return Object.freeze({ scheme: 'file', path: rest });
    case 'dotenv': {
      const hash = rest.lastIndexOf('#');
      if (hash < 0) throw invalid('the key is missing: expected <path>#<KEY>', 'dotenv');
      const path = rest.slice(0, hash);
      const key = rest.slice(hash + 1);
      if (path === '') throw invalid('the path is empty', 'dotenv');
      if (!ENV_NAME.test(key)) throw invalid('the key after "#" is not a variable name (A-Z, a-z, 0-9, _)', 'dotenv');
      return Object.freeze({ scheme: 'dotenv', path, key });
    }
    default:
      throw invalid('unknown scheme (known: ssm, k8s-secret, env, file, dotenv)');
  }
}

/**
 * The text form of a reference (the inverse of {@link parseSecretReference}).
 *
 * @example
 * ```ts
 * formatSecretReference({ scheme: 'env', variable: 'TOKEN' }); // 'env:TOKEN'
 * ```
 */
export function formatSecretReference(reference: SecretReference): string {
  switch (reference.scheme) {
    case 'ssm':
      return `ssm:${reference.name}`;
    case 'k8s-secret':
      return `k8s-secret:${reference.namespace}/${reference.name}#${reference.key}`;
    case 'env':
      return `env:${reference.variable}`;
    case 'file':
      return `file:${reference.path}`;
    case 'dotenv':
      return `dotenv:${reference.path}#${reference.key}`;
  }
}

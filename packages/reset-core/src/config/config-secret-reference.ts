import { isAbsolute, resolve } from 'node:path';
import { formatSecretReference, isSecretsError, parseSecretReference, type SecretReference } from '@matrix-reset/secrets';

/** The schemes a config may name, and which of them matrix-reset can write to. */
const KNOWN_SCHEMES = ['ssm', 'k8s-secret', 'env', 'file', 'dotenv'] as const;
const WRITABLE_SCHEMES: ReadonlySet<string> = new Set(['ssm', 'k8s-secret', 'dotenv']);

/** The outcome of checking one reference in the config: the normalized text, or a problem (never the value). */
export type ConfigReferenceCheck = { ok: true; reference: string; parsed: SecretReference } | { ok: false; problem: string };

/**
 * Checks a secret reference written in `matrix-reset.yaml` and normalizes it: `file:` and `dotenv:` paths are made
 * absolute against the config file's directory. A string that is not a reference at all is treated as a secret
 * value pasted into the file and refused; the problem text never repeats it. An empty one is refused with `example`
 * (references of the kind this field takes) as what to write.
 *
 * @example
 * ```ts
 * checkConfigReference('dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN', { baseDir: '/srv/app', what: 'the admin token' });
 * // { ok: true, reference: 'dotenv:/srv/app/.env#MATRIX_ADMIN_ACCESS_TOKEN', parsed: {...} }
 * ```
 */
export function checkConfigReference(text: string, options: { baseDir: string; what: string; writable?: boolean; example?: string }): ConfigReferenceCheck {
  if (text.trim() === '') {
    const example = options.example ?? (options.writable === true ? 'ssm:/parameter/name, k8s-secret:namespace/name#key or dotenv:.env#KEY' : 'env:VARIABLE, file:/path/to/file or ssm:/parameter/name');
    return { ok: false, problem: `is empty: write where ${options.what} is kept${options.writable === true ? ' (matrix-reset writes it there)' : ''}, e.g. ${example}` };
  }
  const scheme = /^([a-z0-9-]+):/.exec(text)?.[1];
  if (scheme === undefined || !(KNOWN_SCHEMES as readonly string[]).includes(scheme)) {
    return {
      ok: false,
      problem:
        `expected a reference to where ${options.what} is kept, not the value itself (values never go in this file): ` +
        'use env:VARIABLE, file:/path/to/file or ssm:/parameter/name (also dotenv:path#KEY, k8s-secret:namespace/name#key)',
    };
  }
  let parsed: SecretReference;
  try {
    parsed = parseSecretReference(text);
  } catch (error) {
    if (isSecretsError(error)) return { ok: false, problem: `${error.message}. ${error.nextSteps.join(' ')}` };
    throw error;
  }
  if (options.writable === true && !WRITABLE_SCHEMES.has(parsed.scheme)) {
    return {
      ok: false,
      problem: `${parsed.scheme}: references are read-only, and matrix-reset writes ${options.what} here: use ssm:, k8s-secret: or dotenv:`,
    };
  }
  if ((parsed.scheme === 'file' || parsed.scheme === 'dotenv') && !isAbsolute(parsed.path)) {
    parsed = Object.freeze({ ...parsed, path: resolve(options.baseDir, parsed.path) });
  }
  return { ok: true, reference: formatSecretReference(parsed), parsed };
}

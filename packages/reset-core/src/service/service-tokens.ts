import { createHash, randomBytes } from 'node:crypto';
import { SecretValue } from '@matrix-reset/secrets';
import type { ServiceScope } from '../config/reset-config.ts';

/** Every scope a service token can hold, in the order help texts list them. */
export const SERVICE_SCOPES: readonly ServiceScope[] = Object.freeze(['credentials:ensure', 'credentials:read', 'runs:write', 'read']);

/** The prefix of every service token: recognisable in a leaked file or a secret scanner's report. */
export const SERVICE_TOKEN_PREFIX = 'mrs_';

/** A token's shape: the prefix and 32 random bytes in base64url (43 characters). */
export const SERVICE_TOKEN_PATTERN = /^mrs_[A-Za-z0-9_-]{43}$/;

/** True for one of {@link SERVICE_SCOPES}. */
export function isServiceScope(value: string): value is ServiceScope {
  return (SERVICE_SCOPES as readonly string[]).includes(value);
}

/**
 * SHA-256 of a service token, lower-case hex: what `service.tokens[].sha256` holds. A fast hash is right here (not
 * bcrypt/scrypt): the token is 256 random bits, so there is nothing to guess that a slow hash would protect.
 *
 * @example
 * ```ts
 * hashServiceToken('mrs_…'); // '3f1c…' (64 hex digits)
 * ```
 */
export function hashServiceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new service token and the config entry that accepts it (which holds only the hash). */
export interface GeneratedServiceToken {
  /** The token itself: `reveal()` it only to write it where the caller keeps it. */
  readonly token: SecretValue;
  readonly entry: { readonly name: string; readonly sha256: string; readonly scopes: readonly ServiceScope[] };
}

/**
 * Generates a bearer token for the HTTP service: `mrs_` + 32 random bytes (base64url), and its `service.tokens`
 * entry.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 *
 * const { token, entry } = generateServiceToken({ name: 'openmeet-api', scopes: ['credentials:ensure', 'credentials:read'] });
 * await writeFile('api.token', token.reveal(), { mode: 0o600, flag: 'wx' });
 * console.log(serviceTokenConfigSnippet(entry));
 * ```
 */
export function generateServiceToken(options: { name: string; scopes: readonly ServiceScope[] }): GeneratedServiceToken {
  const token = `${SERVICE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return Object.freeze({
    token: new SecretValue(token),
    entry: Object.freeze({ name: options.name, sha256: hashServiceToken(token), scopes: Object.freeze([...new Set(options.scopes)]) }),
  });
}

/** The YAML lines to paste under `service: tokens:` for an entry (the hash, never the token). */
export function serviceTokenConfigSnippet(entry: GeneratedServiceToken['entry']): string {
  return [
    'service:',
    '  tokens:',
    `    - name: ${entry.name}`,
    `      sha256: ${entry.sha256}`,
    `      scopes: [${entry.scopes.join(', ')}]`,
  ].join('\n');
}

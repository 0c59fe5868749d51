import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SecretsError } from './secrets-error.ts';
import { readOnlyError, type SecretReading, type SecretStore } from './secret-store.ts';
import { scrubbedCause, SecretValue } from './secret-value.ts';

const ABSENT: SecretReading = Object.freeze({ exists: false, value: undefined, version: undefined });

function readOnly(reference: string, describe: string, read: () => Promise<SecretReading>, kind: 'env' | 'file'): SecretStore {
  return Object.freeze({
    kind,
    reference,
    writable: false,
    describe: () => describe,
    read,
    write: async () => {
      throw readOnlyError(reference);
    },
    readPrevious: async () => ABSENT,
    restorePrevious: async () => {
      throw readOnlyError(reference);
    },
    toString: () => `ReadOnlySecretStore(${reference})`,
  });
}

/**
 * An environment variable as a read-only {@link SecretStore} (`env:VAR`). Reads `env` (default `process.env`).
 *
 * @example
 * ```ts
 * const token = await envVarStore({ variable: 'MATRIX_ADMIN_ACCESS_TOKEN' }).read();
 * ```
 */
export function envVarStore(options: { variable: string; env?: Readonly<Record<string, string | undefined>> }): SecretStore {
  const env = options.env ?? process.env;
  return readOnly(
    `env:${options.variable}`,
    `environment variable ${options.variable} (read-only)`,
    async () => {
      const value = env[options.variable];
      return value === undefined ? ABSENT : Object.freeze({ exists: true, value: new SecretValue(value), version: undefined });
    },
    'env',
  );
}

/**
 * A whole file as a read-only {@link SecretStore} (`file:path`), one trailing line break dropped (as Synapse
 * strips `registration_shared_secret_path`).
 *
 * @example
 * ```ts
 * const secret = await secretFileStore({ path: '/run/secrets/registration_shared_secret' }).read();
 * ```
 */
export function secretFileStore(options: { path: string }): SecretStore {
  const path = resolve(options.path);
  const reference = `file:${options.path}`;
  return readOnly(
    reference,
    `file ${path} (read-only)`,
    async () => {
      try {
        const content = await readFile(path, 'utf8');
        return Object.freeze({ exists: true, value: new SecretValue(content.replace(/\r?\n$/, '')), version: undefined });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') return ABSENT;
        throw new SecretsError({
          code: code === 'EACCES' ? 'access_denied' : 'io_error',
          reference,
          message: `${reference}: reading failed (${typeof code === 'string' ? code : 'error'})`,
          nextSteps: [`Check that ${path} is readable by this user.`],
          cause: scrubbedCause(error, []),
        });
      }
    },
    'file',
  );
}

import { randomBytes } from 'node:crypto';
import { readFile, writeFile, chmod } from 'node:fs/promises';

/**
 * Writes a fresh random secret (32 bytes, hex) to `path` with mode 0600 and returns only the path:
 * the value itself never travels through env, argv or logs.
 *
 * @example
 * const secretFile = await writeSecretFile('/tmp/state/synapse/registration-shared-secret');
 */
export async function writeSecretFile(path: string, bytes = 32): Promise<string> {
  await writeFile(path, randomBytes(bytes).toString('hex'), { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/**
 * Reads a secret file written by {@link writeSecretFile} (whitespace-stripped, as Synapse does).
 *
 * @example
 * const secret = await readSecretFile(sandbox.endpoints.synapse!.sharedSecretFile);
 */
export async function readSecretFile(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

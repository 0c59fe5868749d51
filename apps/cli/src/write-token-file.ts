import { writeFile } from 'node:fs/promises';
import { UsageError } from './usage-error.ts';

/**
 * Writes a service token to a new file, mode 0600, never over an existing one: an existing file, a missing
 * directory or no permission is a `usage` error naming the path (never the token).
 *
 * @example
 * await writeTokenFile('/home/ops/grafana.token', token.reveal());
 */
export async function writeTokenFile(path: string, token: string): Promise<void> {
  try {
    await writeFile(path, `${token}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new UsageError(`${path} already exists; the token is not written over it`, {
        nextSteps: ['Choose another --out file, or remove the old one first (and its entry in service.tokens if it is retired).'],
      });
    }
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new UsageError(`Cannot write ${path} (${code})`, { nextSteps: ['Point --out at a writable file in an existing directory.'] });
    }
    throw error;
  }
}

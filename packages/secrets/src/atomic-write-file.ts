import { randomBytes } from 'node:crypto';
import { open, rename, unlink, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` atomically: writes a temporary file in the same directory, fsyncs it, sets `mode`, renames it
 * over `path` and fsyncs the directory, so a reader sees the old content or the new, never a mix, even after a
 * crash.
 *
 * @example
 * ```ts
 * await atomicWriteFile('/app/.env', 'A=1\n', 0o600);
 * ```
 */
export async function atomicWriteFile(path: string, content: string, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

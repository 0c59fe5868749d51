import { mkdtemp, readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dotenvFileStore, writeDotenvKeys } from './dotenv-file-store.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'secrets-dotenv-'));
}

function clock(): () => Date {
  let t = Date.parse('2025-01-01T12:00:00Z');
  return () => new Date((t += 1000));
}

describe('dotenvFileStore', () => {
  it('creates a missing file with mode 0600', async () => {
    const dir = await tempDir();
    const store = dotenvFileStore({ path: join(dir, '.env'), key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
    const result = await store.write('syt_first');
    expect(result.changed).toBe(true);
    expect(await readFile(join(dir, '.env'), 'utf8')).toBe('MATRIX_ADMIN_ACCESS_TOKEN=syt_first\n');
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
  });

  it('keeps every other line, comment and order, and the file mode', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    await writeFile(path, '# app\nDATABASE_URL=postgres://x\nexport MATRIX_ADMIN_ACCESS_TOKEN="old" # admin\nMATRIX_ADMIN_USER=@admin:x\n');
    await chmod(path, 0o640);
    await dotenvFileStore({ path, key: 'MATRIX_ADMIN_ACCESS_TOKEN', now: clock() }).write('syt_new');
    expect(await readFile(path, 'utf8')).toBe('# app\nDATABASE_URL=postgres://x\nexport MATRIX_ADMIN_ACCESS_TOKEN=syt_new # admin\nMATRIX_ADMIN_USER=@admin:x\n');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('writes nothing (and no backup) when the value is already there', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    await writeFile(path, 'K=same\n');
    const store = dotenvFileStore({ path, key: 'K' });
    expect((await store.write('same')).changed).toBe(false);
    expect(await store.listBackups()).toEqual([]);
  });

  it('backs up the previous content to a 0600 timestamped sibling and restores the previous value', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    await writeFile(path, '# c\nK=v1\nOTHER=1\n');
    const store = dotenvFileStore({ path, key: 'K', now: clock() });
    await store.write('v2');
    await writeFile(path, '# c\nK=v2\nOTHER=changed-later\n');
    const backups = await store.listBackups();
    expect(backups.map((b) => b.slice(dir.length + 1))).toEqual(['.env.bak.20250101T120001000Z']);
    expect(await readFile(backups[0] as string, 'utf8')).toBe('# c\nK=v1\nOTHER=1\n');
    expect((await stat(backups[0] as string)).mode & 0o777).toBe(0o600);
    expect((await store.readPrevious()).value?.reveal()).toBe('v1');
    await store.restorePrevious();
    expect(await readFile(path, 'utf8')).toBe('# c\nK=v1\nOTHER=changed-later\n');
    // The restore kept a backup too: restoring again toggles back.
    await store.restorePrevious();
    expect((await store.read()).value?.reveal()).toBe('v2');
  });

  it('keeps only the newest backups', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    const store = dotenvFileStore({ path, key: 'K', keepBackups: 2, now: clock() });
    for (const v of ['a', 'b', 'c', 'd', 'e']) await store.write(v);
    expect((await store.listBackups()).length).toBe(2);
  });

  it('leaves no temporary file behind', async () => {
    const dir = await tempDir();
    const store = dotenvFileStore({ path: join(dir, '.env'), key: 'K', now: clock() });
    await store.write('a');
    await store.write('b');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a write whose expected version is stale', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    const store = dotenvFileStore({ path, key: 'K' });
    await store.write('a');
    const { version } = await store.read();
    await writeFile(path, 'K=someone-else\n');
    await expect(store.write('b', { expectedVersion: version })).rejects.toMatchObject({ code: 'version_conflict' });
  });

  it('says no_previous_version when no backup differs', async () => {
    const dir = await tempDir();
    const store = dotenvFileStore({ path: join(dir, '.env'), key: 'K' });
    await store.write('only');
    await expect(store.restorePrevious()).rejects.toMatchObject({ code: 'no_previous_version' });
  });

  it('reports an unwritable directory as a typed error without the value', async () => {
    const store = dotenvFileStore({ path: '/proc/no-such-dir/.env', key: 'K' });
    const error = await store.write('syt_value_that_must_not_leak').catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: expect.stringMatching(/io_error|access_denied/) });
    expect(`${String(error)} ${JSON.stringify(error)} ${(error as Error).stack} ${String((error as Error).cause)}`).not.toContain('syt_value_that_must_not_leak');
  });

  it('describe() and toString() name the file, not the value', async () => {
    const dir = await tempDir();
    const store = dotenvFileStore({ path: join(dir, '.env'), key: 'K' });
    await store.write('syt_hidden_value');
    expect(`${store.describe()} ${String(store)} ${JSON.stringify(await store.read())}`).not.toContain('syt_hidden_value');
  });
});

describe('writeDotenvKeys', () => {
  it('creates a missing file holding every key, with no backup', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');

    const result = await writeDotenvKeys({ path, values: { MATRIX_ADMIN_ACCESS_TOKEN: 'syt_new', MATRIX_ADMIN_USER: '@admin:x' }, now: clock() });

    expect(result.changedKeys).toEqual(['MATRIX_ADMIN_ACCESS_TOKEN', 'MATRIX_ADMIN_USER']);
    expect(await readFile(path, 'utf8')).toBe('MATRIX_ADMIN_ACCESS_TOKEN=syt_new\nMATRIX_ADMIN_USER=@admin:x\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((name) => name.includes('.bak.'))).toEqual([]);
  });

  it('replaces an existing file once, with one backup of what it held, and names only the keys that changed', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    await writeFile(path, 'APP=1\nMATRIX_ADMIN_USER=@admin:x\n');

    const result = await writeDotenvKeys({ path, values: { MATRIX_ADMIN_ACCESS_TOKEN: 'syt_new', MATRIX_ADMIN_USER: '@admin:x' }, now: clock() });

    expect(result.changedKeys).toEqual(['MATRIX_ADMIN_ACCESS_TOKEN']);
    expect(await readFile(path, 'utf8')).toBe('APP=1\nMATRIX_ADMIN_USER=@admin:x\nMATRIX_ADMIN_ACCESS_TOKEN=syt_new\n');
    const backups = (await readdir(dir)).filter((name) => name.includes('.bak.'));
    expect(backups).toHaveLength(1);
    expect(await readFile(join(dir, backups[0]!), 'utf8')).toBe('APP=1\nMATRIX_ADMIN_USER=@admin:x\n');
  });

  it('writes nothing, and backs nothing up, when every key already holds its value', async () => {
    const dir = await tempDir();
    const path = join(dir, '.env');
    await writeFile(path, 'A=1\nB=2\n');

    const result = await writeDotenvKeys({ path, values: { A: '1', B: '2' } });

    expect(result.changedKeys).toEqual([]);
    expect((await readdir(dir)).filter((name) => name.includes('.bak.'))).toEqual([]);
  });
});

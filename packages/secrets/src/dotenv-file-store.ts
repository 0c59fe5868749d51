import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { atomicWriteFile } from './atomic-write-file.ts';
import { getDotenvValue, removeDotenvKey, setDotenvValue } from './dotenv-format.ts';
import { SecretsError } from './secrets-error.ts';
import { versionConflictError, type SecretReading, type SecretStore, type SecretWriteOptions, type SecretWriteResult } from './secret-store.ts';
import { plaintext, scrubbedCause, SecretValue } from './secret-value.ts';

export interface DotenvFileStoreOptions {
  path: string;
  key: string;
  /** Backups kept beside the file (`.env.bak.<UTC timestamp>`), newest first; default 5. */
  keepBackups?: number;
  /** The clock, for backup names. */
  now?: () => Date;
}

/** A `.env`-backed {@link SecretStore}, plus its backups. */
export interface DotenvFileStore extends SecretStore {
  readonly kind: 'dotenv';
  readonly path: string;
  readonly key: string;
  /** Backup file paths, newest first. */
  listBackups(): Promise<string[]>;
}

const NEW_FILE_MODE = 0o600;

function version(content: string | undefined): string | undefined {
  return content === undefined ? undefined : createHash('sha256').update(content).digest('hex').slice(0, 16);
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

/**
 * The file-level part of a `.env` store: read it, list its backups, and replace it whole (version check, a backup of
 * the previous content when there was a file, atomic replace keeping its mode). `reference` names it in errors.
 */
function openDotenvFile(options: { path: string; reference: string; keepBackups: number; now: () => Date }) {
  const { path, reference, keepBackups, now } = options;
  const backupPrefix = `${basename(path)}.bak.`;

  function ioError(error: unknown, operation: string, values: readonly (string | SecretValue | undefined)[]): SecretsError {
    const code = (error as { code?: unknown }).code;
    return new SecretsError({
      code: code === 'EACCES' || code === 'EPERM' ? 'access_denied' : 'io_error',
      reference,
      message: `${reference}: ${operation} failed (${typeof code === 'string' ? code : 'error'})`,
      nextSteps: [`Check that ${dirname(path)} exists and is writable by this user (the write creates a temporary file and backups beside ${basename(path)}).`],
      cause: scrubbedCause(error, values),
    });
  }

  async function readContent(): Promise<{ content: string | undefined; mode: number }> {
    try {
      const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return { content, mode: info.mode & 0o7777 };
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return { content: undefined, mode: NEW_FILE_MODE };
      throw ioError(error, 'reading', []);
    }
  }

  async function listBackups(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(dirname(path));
    } catch (error) {
      throw ioError(error, 'listing backups', []);
    }
    return names
      .filter((n) => n.startsWith(backupPrefix))
      .sort()
      .reverse()
      .map((n) => join(dirname(path), n));
  }

  async function backup(content: string, values: readonly string[]): Promise<void> {
    const existing = new Set(await listBackups());
    let target = join(dirname(path), `${backupPrefix}${stamp(now())}`);
    for (let n = 1; existing.has(target); n++) target = join(dirname(path), `${backupPrefix}${stamp(now())}-${String(n).padStart(3, '0')}`);
    try {
      await atomicWriteFile(target, content, NEW_FILE_MODE);
      for (const old of (await listBackups()).slice(keepBackups)) await unlink(old);
    } catch (error) {
      throw ioError(error, 'writing a backup', values);
    }
  }

  async function replace(next: (content: string) => string, writeOptions: SecretWriteOptions, values: readonly string[]): Promise<SecretWriteResult> {
    const { content, mode } = await readContent();
    const before = version(content);
    if (writeOptions.expectedVersion !== undefined && writeOptions.expectedVersion !== before) {
      throw versionConflictError(reference, writeOptions.expectedVersion, before);
    }
    const updated = next(content ?? '');
    if (content === updated) return Object.freeze({ changed: false, version: before ?? '', previousVersion: undefined });
    if (content !== undefined) await backup(content, values);
    try {
      await atomicWriteFile(path, updated, mode);
    } catch (error) {
      throw ioError(error, 'writing', values);
    }
    return Object.freeze({ changed: true, version: version(updated) ?? '', previousVersion: before });
  }

  return { readContent, listBackups, replace, ioError };
}

/** What {@link writeDotenvKeys} did: the keys whose value changed, and the file's version before and after. */
export interface DotenvKeysWriteResult {
  readonly changedKeys: readonly string[];
  readonly version: string;
  readonly previousVersion: string | undefined;
}

/**
 * Writes several keys of one `.env` file in a single replacement, with the same rules as a {@link dotenvFileStore}
 * write (other lines kept, atomic replace, a new file 0600, the previous file backed up first): a value that belongs
 * with another (an admin token and its user id) is never on disk without it, and a file that did not exist gets no
 * backup, so no half-written copy of it is left beside it.
 *
 * @example
 * ```ts
 * await writeDotenvKeys({ path: '.env', values: { MATRIX_ADMIN_ACCESS_TOKEN: token, MATRIX_ADMIN_USER: '@admin:localhost' } });
 * ```
 */
export async function writeDotenvKeys(options: Omit<DotenvFileStoreOptions, 'key'> & { values: Readonly<Record<string, string | SecretValue>>; expectedVersion?: string }): Promise<DotenvKeysWriteResult> {
  const keys = Object.keys(options.values);
  const first = keys[0];
  if (first === undefined) throw new RangeError('writeDotenvKeys: no keys to write');
  const raw = Object.fromEntries(keys.map((key) => [key, plaintext(options.values[key]!)]));
  const path = resolve(options.path);
  const file = openDotenvFile({ path, reference: `dotenv:${options.path}#${keys.join(',')}`, keepBackups: Math.max(1, options.keepBackups ?? 5), now: options.now ?? (() => new Date()) });
  const before = (await file.readContent()).content;
  const result = await file.replace(
    (content) => keys.reduce((next, key) => setDotenvValue(next, key, raw[key]!), content),
    options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion },
    Object.values(raw),
  );
  const changedKeys = keys.filter((key) => (before === undefined ? undefined : getDotenvValue(before, key)) !== raw[key]);
  return Object.freeze({ changedKeys: Object.freeze(result.changed ? changedKeys : []), version: result.version, previousVersion: result.previousVersion });
}

/**
 * One key of a `.env` file as a {@link SecretStore}. A write replaces the key's value in place (or appends it),
 * keeping every other line, comment and their order, quoting the value by dotenv rules; it first copies the whole
 * previous file to a timestamped sibling (`.env.bak.20250101T120000000Z`, mode 0600, the newest `keepBackups`
 * kept), then replaces the file atomically (temp file, fsync, rename, directory fsync). A new file is 0600; an
 * existing one keeps its mode. The version is a hash of the file content.
 *
 * @example
 * ```ts
 * const store = dotenvFileStore({ path: '.env', key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
 * await store.write(token);
 * await store.restorePrevious(); // back to the value before
 * ```
 */
export function dotenvFileStore(options: DotenvFileStoreOptions): DotenvFileStore {
  const path = resolve(options.path);
  const { key } = options;
  const reference = `dotenv:${options.path}#${key}`;
  const keepBackups = Math.max(1, options.keepBackups ?? 5);
  const now = options.now ?? (() => new Date());
  const backupPrefix = `${basename(path)}.bak.`;

  const { readContent, listBackups, replace, ioError } = openDotenvFile({ path, reference, keepBackups, now });

  function reading(content: string | undefined): SecretReading {
    const value = content === undefined ? undefined : getDotenvValue(content, key);
    return Object.freeze({ exists: value !== undefined, value: value === undefined ? undefined : new SecretValue(value), version: version(content) });
  }

  async function previous(): Promise<{ reading: SecretReading; backup: string } | undefined> {
    const current = reading((await readContent()).content);
    for (const file of await listBackups()) {
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (error) {
        throw ioError(error, 'reading a backup', []);
      }
      const candidate = reading(content);
      const same = candidate.exists === current.exists && (candidate.value === undefined || (current.value !== undefined && candidate.value.equals(current.value)));
      if (!same) return { reading: candidate, backup: file };
    }
    return undefined;
  }

  return Object.freeze({
    kind: 'dotenv' as const,
    reference,
    path,
    key,
    writable: true,
    describe: () => `.env file ${path}, key ${key} (backups ${backupPrefix}*)`,
    read: async () => reading((await readContent()).content),
    write: (value: string | SecretValue, writeOptions: SecretWriteOptions = {}) => {
      const raw = plaintext(value);
      return replace((content) => setDotenvValue(content, key, raw), writeOptions, [raw]);
    },
    async readPrevious() {
      return (await previous())?.reading ?? Object.freeze({ exists: false, value: undefined, version: undefined });
    },
    async restorePrevious(writeOptions: SecretWriteOptions = {}) {
      const found = await previous();
      if (found === undefined) {
        throw new SecretsError({
          code: 'no_previous_version',
          reference,
          message: `${reference}: no backup holds a different value of ${key}`,
          nextSteps: [`Backups are the ${backupPrefix}* files beside the file; restore one by hand if needed.`],
        });
      }
      const value = found.reading.value;
      return value === undefined
        ? replace((content) => removeDotenvKey(content, key), writeOptions, [])
        : replace((content) => setDotenvValue(content, key, value.reveal()), writeOptions, [value.reveal()]);
    },
    listBackups,
    toString: () => `DotenvFileStore(${path}#${key})`,
  });
}

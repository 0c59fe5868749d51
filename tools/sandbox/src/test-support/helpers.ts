import { psql } from '../postgres-provider.ts';
import { processAlive } from '../sandbox-record.ts';

/** Databases named like the sandbox's on the shared server (127.0.0.1:5432). */
export async function sandboxDatabasesOnServer(prefix: string): Promise<string[]> {
  const out = await psql({ host: '127.0.0.1', port: 5432, user: 'postgres' }, 'postgres', `select datname from pg_database where datname like '${prefix}%'`);
  return out === '' ? [] : out.split('\n');
}

export function alivePids(pids: readonly number[]): number[] {
  return pids.filter((pid) => processAlive(pid));
}

/** Unique, lower-case test names, so tests never share users. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

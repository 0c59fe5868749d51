import { readdirSync, readFileSync } from 'node:fs';
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

/** Every live descendant of `root` (by /proc parent links), e.g. kube-sim's pod processes. */
export function descendantPids(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // gone while we looked
    }
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** Host-side network interfaces (kube-sim's pod veths are `ks<hex>`). */
export function hostInterfaces(): string[] {
  return readdirSync('/sys/class/net');
}

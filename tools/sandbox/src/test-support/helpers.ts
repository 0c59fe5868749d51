import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { psql } from '../postgres-provider.ts';
import { processAlive } from '../sandbox-record.ts';
import { synapseVenv } from '../synapse-process.ts';

/** Databases named like the sandbox's on the shared server (127.0.0.1:5432). */
export async function sandboxDatabasesOnServer(prefix: string): Promise<string[]> {
  const out = await psql({ host: '127.0.0.1', port: 5432, user: 'postgres' }, 'postgres', `select datname from pg_database where datname like '${prefix}%'`);
  return out === '' ? [] : out.split('\n');
}

export function alivePids(pids: readonly number[]): number[] {
  return pids.filter((pid) => processAlive(pid));
}

/**
 * Registers a (non-admin) user with Synapse's real `register_new_matrix_user` script, which signs the request with
 * the shared secret that `configFile` names. The password goes in on stdin (the script's getpass prompt), never in
 * argv: `detached` puts the script in its own session without a controlling terminal, so getpass reads stdin
 * instead of opening /dev/tty. Returns the exit code and everything it printed.
 */
export async function registerWithScript(options: { configFile: string; url: string; user: string; password: string }): Promise<{ code: number | null; output: string }> {
  const script = spawn(
    `${synapseVenv()}/bin/register_new_matrix_user`,
    ['-c', options.configFile, '-u', options.user, '--no-admin', options.url],
    { detached: true, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 },
  );
  let output = '';
  script.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  script.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  script.stdin.end(`${options.password}\n${options.password}\n`);
  const code = await new Promise<number | null>((resolve) => script.on('close', resolve));
  return { code, output };
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

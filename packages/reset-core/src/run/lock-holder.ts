import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/*
 * Who holds an environment's lock, in words a person and another process can read: host, pid and the process's start
 * as the kernel counts it (clock ticks since boot, and the boot time), so a later process on the same host can tell
 * for certain that the holder is gone (its pid absent, reused by another process, or the host rebooted) and take the
 * lock over at once instead of waiting for the Lease to expire.
 */

const HOLDER = /^matrix-reset on (\S+) pid (\d+) start (\d+)@(\d+)\b/;

/** Field 22 of /proc/<pid>/stat (start time in clock ticks after boot), or undefined where there is no /proc. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function bootTime(): string | undefined {
  try {
    return /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * This process as a lock holder: `matrix-reset on <host> pid <pid> start <ticks>@<boot time>` (without the start
 * where the system has no /proc: then nobody can take its lock over early).
 *
 * @example
 * defaultHolder(); // 'matrix-reset on host-a pid 4242 start 649679@1796160090'
 */
export function defaultHolder(): string {
  const ticks = startTicks(process.pid);
  const boot = bootTime();
  return `matrix-reset on ${hostname()} pid ${process.pid}${ticks !== undefined && boot !== undefined ? ` start ${ticks}@${boot}` : ''}`;
}

/**
 * True only when `holder` names a process of this host ({@link defaultHolder}'s form) that is certainly gone: the host
 * booted since, or no process has that pid, or the one that has it started at another time. False whenever it cannot
 * tell (another host, another holder format, no /proc).
 *
 * @example
 * const [latest] = await runStatus(connection.db, { environment: 'dev', limit: 1 });
 * if (latest?.run.state === 'running' && holderIsGone(latest.run.holder)) console.error(`resume it: matrix-reset resume ${latest.run.id}`);
 */
export function holderIsGone(holder: string): boolean {
  const match = HOLDER.exec(holder);
  if (match === null || match[1] !== hostname()) return false;
  const boot = bootTime();
  if (boot === undefined) return false;
  if (boot !== match[4]) return true;
  const ticks = startTicks(Number(match[2]));
  return ticks === undefined || ticks !== match[3];
}

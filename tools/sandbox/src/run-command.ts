import { execFile } from 'node:child_process';

export interface CommandResult {
  /** The exit code; 1 when a signal ended the command. */
  code: number;
  /** The signal that ended it (e.g. `SIGTERM` at the timeout), if one did. */
  signal?: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short-lived command to completion and returns its exit code and output (never throws on a non-zero
 * exit; throws only when the command cannot start). `input` goes to its stdin (for what must not be in argv).
 *
 * @example
 * const { code, stdout } = await runCommand('psql', ['-tAc', 'select 1'], { timeoutMs: 5_000 });
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 30_000, cwd: options.cwd, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') {
          reject(error);
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const signal = error?.signal ?? undefined;
        resolve({ code, ...(signal === undefined ? {} : { signal }), stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) {
      // A command that exits without reading its stdin makes this write fail with EPIPE: its exit code says why.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input);
    }
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServiceSandbox } from './service-fixture.ts';

/** The service's real entry point, as an operator runs it. */
export const SERVICE_BIN = fileURLToPath(new URL('../../bin/matrix-reset-http.js', import.meta.url));

/** One instance of the service running as its own OS process (`bin/matrix-reset-http.js`), its output captured. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` from its `listening` log line. */
  readonly url: string;
  /** Everything it wrote so far, stdout then stderr (to scan for secrets). */
  output(): string;
  /** Its JSON log lines (stdout) so far, parsed. */
  logEntries(): Record<string, unknown>[];
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

/**
 * Starts `bin/matrix-reset-http.js` on `sandbox.configPath` on a free loopback port (MATRIX_RESET_CONFIG,
 * MATRIX_RESET_HTTP_PORT=0) and waits for its `listening` line. Several calls on one sandbox give several instances
 * sharing one config and one Postgres, as in a Deployment with replicas.
 *
 * @example
 * ```ts
 * const sandbox = await prepareServiceSandbox();
 * const [a, b] = await Promise.all([spawnServiceProcess(sandbox), spawnServiceProcess(sandbox)]);
 * await fetch(`${a.url}/healthz`);
 * await Promise.all([a.stop(), b.stop()]);
 * ```
 */
export async function spawnServiceProcess(sandbox: Pick<ServiceSandbox, 'configPath'>, options: { env?: Record<string, string> } = {}): Promise<ServiceProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MATRIX_RESET_CONFIG: sandbox.configPath,
    MATRIX_RESET_HTTP_PORT: '0',
    MATRIX_RESET_HTTP_HOST: '127.0.0.1',
    ...options.env,
  };
  const child = spawn(process.execPath, [SERVICE_BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const output = () => stdout.join('') + stderr.join('');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not log 'listening' within 30 s: ${output()}`)), 30_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(stdout.join(''));
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', look);
      resolve(match[1]);
    };
    child.stdout.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${String(code)}) before listening: ${output()}`));
    });
  });
  let stopping: Promise<number | null> | undefined;
  return {
    child,
    url,
    output,
    logEntries: () =>
      stdout
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

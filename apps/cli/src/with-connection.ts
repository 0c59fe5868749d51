import type { EnvironmentConfig, ProgressListener } from '@matrix-reset/reset-core';
import { loadEnvironment } from './load-environment.ts';
import { openProgress } from './progress/open-progress.ts';

/**
 * Runs one reset-core call on an environment: loads `--config`/`--env`, opens the connection with `connect`
 * (`connectEnvironment`, or `connectAppDatabase` for what needs only the app database), calls `call` with it and
 * a progress listener (a live task list on a terminal, plain lines on stderr otherwise), then ends the progress
 * display and closes the connection, whether the call returned or threw.
 *
 * @example
 * const report = await withConnection(this.flags, connectEnvironment, (connection, onProgress) => verify(connection, { onProgress }));
 */
export async function withConnection<C extends { close(): Promise<void> }, T>(
  flags: { config: string; env: string | undefined },
  connect: (environment: EnvironmentConfig) => Promise<C>,
  call: (connection: C, onProgress: ProgressListener) => Promise<T>,
): Promise<T> {
  const connection = await connect(await loadEnvironment(flags));
  try {
    const progress = await openProgress();
    let result: T;
    try {
      result = await call(connection, progress.onProgress);
    } catch (error) {
      await progress.close({ error });
      throw error;
    }
    await progress.close();
    return result;
  } finally {
    await connection.close();
  }
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ResetError } from '@matrix-reset/reset-core';

/** The demo is one of the repository's tools (tools/demo), so it runs from a checkout only, as a child process. */
export const DEMO_CLI = join('tools', 'demo', 'src', 'cli.ts');

/** The checkout of the repository that holds `from`, found by walking up to the directory that has tools/demo's CLI. */
export function repositoryRoot(from: string): string {
  for (let dir = dirname(from); dirname(dir) !== dir; dir = dirname(dir)) if (existsSync(join(dir, DEMO_CLI))) return dir;
  throw new ResetError('unsupported', `matrix-reset demo needs a checkout of the matrix-reset repository: no ${DEMO_CLI} above ${from}`, {
    nextSteps: ['Run it from a clone: git clone <matrix-reset repository> && cd matrix-reset && scripts/demo'],
  });
}

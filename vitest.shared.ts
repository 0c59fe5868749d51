import { defaultServerConditions, type UserConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/** Where the shared test services come from: started once per run by the sandbox's Vitest global setup. */
export const sandboxGlobalSetup = fileURLToPath(new URL('./tools/sandbox/src/vitest-global-setup.ts', import.meta.url));

export interface ProjectTestOptions {
  /** The project's directory (pass `import.meta.dirname`). */
  root: string;
  /** Start (or reuse) the sandbox's real services before the run. */
  services?: boolean;
  testTimeout?: number;
}

/**
 * The Vitest configuration every project shares: workspace packages resolve to their TypeScript source
 * through the `@matrix-reset/source` export condition, tests sit beside the code (`*.test.ts`).
 */
export function projectTestConfig(options: ProjectTestOptions): UserConfig {
  const name = options.root.split('/').slice(-1)[0] ?? 'tests';
  return {
    root: options.root,
    cacheDir: fileURLToPath(new URL('./node_modules/.vite', import.meta.url)),
    resolve: { conditions: ['@matrix-reset/source', ...defaultServerConditions] },
    ssr: { resolve: { conditions: ['@matrix-reset/source', ...defaultServerConditions] } },
    test: {
      name,
      include: ['src/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: 120_000,
      globalSetup: options.services ? [sandboxGlobalSetup] : [],
      // The test command collects one JSON report per project to print a single closing count.
      reporters: process.env.MATRIX_RESET_TEST_RESULTS
        ? ['default', ['json', { outputFile: `${process.env.MATRIX_RESET_TEST_RESULTS}/${name}.json` }]]
        : ['default'],
    },
  } as UserConfig;
}

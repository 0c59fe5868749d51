import { defaultServerConditions, type UserConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/** Where the shared test services come from: started once per run by the sandbox's Vitest global setup. */
export const sandboxGlobalSetup = fileURLToPath(new URL('./tools/sandbox/src/vitest-global-setup.ts', import.meta.url));
/** A kube-sim cluster (KUBECONFIG, KUBE_SIM_FAULTS_URL), reused when the test script's sandbox runs one. */
export const kubeSimGlobalSetup = fileURLToPath(new URL('./tools/kube-sim/src/vitest-global-setup.ts', import.meta.url));

/**
 * Resolve as Node does: workspace packages to their source, and no "module" condition (the AWS SDK lists it before
 * "node" for bundlers, and its "module" files cannot be loaded by Node).
 */
const conditions = ['@matrix-reset/source', ...defaultServerConditions.filter((c) => c !== 'module')];

export interface ProjectTestOptions {
  /** The project's directory (pass `import.meta.dirname`). */
  root: string;
  /** Start (or reuse) the sandbox's real services before the run. */
  services?: boolean;
  /** Start (or reuse) a kube-sim cluster before the run. */
  kube?: boolean;
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
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node'] } },
    // Vitest loads global setup files through its own `__vitest__` environment, which does not take the top-level
    // conditions: without this, a global setup importing a workspace package resolves it to its (unbuilt) dist.
    environments: { __vitest__: { resolve: { conditions } } },
    test: {
      name,
      include: ['src/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: 120_000,
      globalSetup: [...(options.services ? [sandboxGlobalSetup] : []), ...(options.kube ? [kubeSimGlobalSetup] : [])],
      // The test command collects one JSON report per project to print a single closing count.
      reporters: process.env.MATRIX_RESET_TEST_RESULTS
        ? ['default', ['json', { outputFile: `${process.env.MATRIX_RESET_TEST_RESULTS}/${name}.json` }]]
        : ['default'],
    },
  } as UserConfig;
}

import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Layering, enforced: apps -> reset-core -> libraries.
 * synapse-admin, k8s-ops and user-creds import no other library of ours; secrets may import k8s-ops;
 * tools may import libraries and reset-core; nothing imports an app.
 */
export const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'scope:synapse-admin', onlyDependOnLibsWithTags: ['scope:synapse-admin'] },
  { sourceTag: 'scope:k8s-ops', onlyDependOnLibsWithTags: ['scope:k8s-ops'] },
  { sourceTag: 'scope:user-creds', onlyDependOnLibsWithTags: ['scope:user-creds'] },
  { sourceTag: 'scope:secrets', onlyDependOnLibsWithTags: ['scope:secrets', 'scope:k8s-ops'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:core', 'type:tool'] },
];

export default [
  { ignores: ['**/dist/**', '**/out-tsc/**', '**/node_modules/**', '**/.nx/**', '**/vitest.config.*.timestamp*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // Loaded with `await import()` where used (to keep @kubernetes/client-node out of commands that never touch
          // Kubernetes) and imported statically by the code and tests that always need it: both are intended.
          checkDynamicDependenciesExceptions: ['@matrix-reset/k8s-ops'],
          depConstraints,
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Per-project config files extend the workspace's shared configs by relative path: that is their job.
    files: ['**/eslint.config.js', '**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
];

#!/usr/bin/env node
// The matrix-reset HTTP service. In a workspace checkout (src/ next to bin/) it runs the TypeScript source with
// Node's type stripping and resolves workspace packages to their source (the `@matrix-reset/source` condition);
// installed from a tarball (no src/) it runs the compiled dist/. MATRIX_RESET_HTTP_FROM=dist forces dist/.
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';

const fromSource =
  process.env.MATRIX_RESET_HTTP_FROM !== 'dist' &&
  Boolean(process.features.typescript) &&
  typeof nodeModule.registerHooks === 'function' &&
  existsSync(new URL('../src/main.ts', import.meta.url));

if (fromSource) {
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      const conditions = context.conditions.includes('@matrix-reset/source')
        ? context.conditions
        : ['@matrix-reset/source', ...context.conditions];
      return nextResolve(specifier, { ...context, conditions });
    },
  });
}

const { main } = await import(fromSource ? '../src/main.ts' : '../dist/main.js');
await main();

#!/usr/bin/env -S node --max-semi-space-size=1
// The shebang caps V8's young generation (semi-space 1 MB): under doctor's steady stream of requests V8 otherwise
// grows it to ~128 MB of RSS that holds nothing live (tools/bench: doctor over 10,000 tokens peaks at 255-275 MB
// without it, about 135 MB with it, for ~2% more CPU). `node bin/run.js` ignores the shebang; pass the flag or
// NODE_OPTIONS=--max-semi-space-size=1 there. Old space is not capped, so large runs never die of a heap limit.
// The `matrix-reset` entry point. In a workspace checkout (src/ next to bin/) it runs the TypeScript source with
// Node's type stripping and resolves workspace packages to their source (the `@matrix-reset/source` condition);
// installed from a tarball (no src/) it runs the compiled dist/. MATRIX_RESET_CLI_FROM=dist forces dist/.
import { existsSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const fromSource =
  process.env.MATRIX_RESET_CLI_FROM !== 'dist' &&
  Boolean(process.features.typescript) &&
  typeof nodeModule.registerHooks === 'function' &&
  existsSync(new URL('../src/commands.ts', import.meta.url));

if (fromSource) {
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      const conditions = context.conditions.includes('@matrix-reset/source')
        ? context.conditions
        : ['@matrix-reset/source', ...context.conditions];
      return nextResolve(specifier, { ...context, conditions });
    },
  });
  pjson.oclif = { ...pjson.oclif, commands: { ...pjson.oclif.commands, target: './src/commands.ts' } };
}

const { execute, settings } = await import('@oclif/core');
// Never look for ts-node/tsx: the target above is already the file to load.
settings.enableAutoTranspile = false;
await execute({ loadOptions: { root, pjson } });

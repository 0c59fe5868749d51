#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// The shebang's V8 flags keep the heap small: a 1 MB semi-space and V8's size-over-speed mode. Under doctor's steady
// stream of requests V8 otherwise grows its heap to ~250 MB of RSS that holds nothing live (tools/bench: doctor over
// 10,000 tokens peaks at 255-275 MB without them, ~130-135 MB with them, for ~15% more CPU and the same wall time:
// the command waits on Synapse). `node bin/run.js` ignores the shebang: pass the flags or NODE_OPTIONS there. Old
// space is not capped, so large runs never die of a heap limit.
// The `matrix-reset` entry point. In a workspace checkout (src/ next to bin/) it runs the TypeScript source with
// Node's type stripping and resolves workspace packages to their source (the `@matrix-reset/source` condition);
// installed from a tarball (no src/) it runs the compiled dist/. MATRIX_RESET_CLI_FROM=dist forces dist/.
import { existsSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

// Node's compile cache keeps V8's code for every module loaded (the TypeScript sources too) on disk, in the OS temp
// directory unless NODE_COMPILE_CACHE names one: later starts skip about 40 % of the CLI's start-up CPU time
// (`plan --help`: 2.1 s -> 1.3 s). Where it cannot be written (a read-only filesystem), Node goes on without it.
nodeModule.enableCompileCache?.();

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

// A reader that stops early (`matrix-reset doctor --help | head -1`) closes stdout: that ends nothing but the output.
// Writes after it fail with EPIPE, which is ignored here (and by oclif for stdout); the command keeps its exit code.
process.stderr.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});

const { run, handle, settings } = await import('@oclif/core');
// Never look for ts-node/tsx: the target above is already the file to load.
settings.enableAutoTranspile = false;
try {
  await run(process.argv.slice(2), { root, pjson });
  await stdoutWritten();
} catch (error) {
  await handle(error instanceof Error ? error : new Error(String(error)));
}

/**
 * Resolves once stdout holds nothing unwritten, or is gone. (oclif's `execute` waits for a 'drain' that never comes on
 * a closed stdout, so the process ended on an unsettled top-level await, exit 13.)
 */
function stdoutWritten() {
  return new Promise((resolve) => {
    if (process.stdout.destroyed || process.stdout.writableLength === 0) return resolve(undefined);
    process.stdout.once('drain', resolve).once('close', resolve);
  });
}

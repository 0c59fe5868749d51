import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

/**
 * Loaded with `node --import` into a `matrix-reset` CLI process by the doctor benchmark: records which of the heavy
 * optional dependencies the process resolved (@kubernetes/client-node, the AWS SDK) and, at exit, its peak resident
 * set size (`process.resourceUsage().maxRSS`, the kernel's high-water mark: no sampling gap) and its CPU time, into
 * the JSON file named by `MATRIX_RESET_BENCH_MEMORY_FILE`. Nothing else: no arguments, no environment, no output.
 */
export interface CliMemoryRecord {
  maxRssMb: number;
  cpuSeconds: number;
  /** Heavy packages the process resolved, e.g. `@kubernetes/client-node`; empty when none. */
  heavyModules: string[];
}

const HEAVY = /\/node_modules\/(@kubernetes\/client-node|@aws-sdk\/[^/]+|@smithy\/[^/]+)\//;
const seen = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const match = HEAVY.exec(resolved.url);
    if (match?.[1] !== undefined) seen.add(match[1]);
    return resolved;
  },
});

const file = process.env['MATRIX_RESET_BENCH_MEMORY_FILE'];
process.on('exit', () => {
  if (file === undefined) return;
  const cpu = process.cpuUsage();
  const record: CliMemoryRecord = {
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    heavyModules: [...seen].sort(),
  };
  writeFileSync(file, JSON.stringify(record));
});

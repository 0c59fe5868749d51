import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The monorepo's root directory. */
export const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** One rule violation ESLint reported. */
export interface LintFinding {
  ruleId: string | null;
  message: string;
}

/** An import to try: a module inside `projectDir` importing `specifier`. */
export interface ImportProbe {
  projectDir: string;
  specifier: string;
}

// Runs in a child Node process with the workspace's real ESLint and flat config (Vitest's module runner is not
// the place to load ESLint's CommonJS plugins). Reads the probes as JSON on stdin, prints findings per probe.
const runner = `
import { ESLint } from 'eslint';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { filePath, code } of JSON.parse(input)) {
  const [result] = await eslint.lintText(code, { filePath });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
`;

/**
 * Lints, for each probe, a small module that imports `specifier` as if it were a file inside `projectDir`,
 * with the workspace's real ESLint configuration (including `@nx/enforce-module-boundaries`).
 *
 * @example
 * const [findings] = await lintImports([{ projectDir: 'packages/synapse-admin', specifier: '@matrix-reset/k8s-ops' }]);
 * // findings[0].ruleId === '@nx/enforce-module-boundaries'
 */
export async function lintImports(probes: readonly ImportProbe[]): Promise<LintFinding[][]> {
  const files = probes.map((p) => ({
    filePath: path.join(workspaceRoot, p.projectDir, 'src', '__layering-probe__.ts'),
    code: `import * as probe from '${p.specifier}';\n\nexport const used = probe;\n`,
  }));
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', runner],
      { cwd: workspaceRoot, maxBuffer: 16 * 1024 * 1024 },
      (error, out, err) => (error ? reject(new Error(`eslint failed: ${err}`)) : resolve(out)),
    );
    child.stdin?.end(JSON.stringify(files));
  });
  return JSON.parse(stdout) as LintFinding[][];
}

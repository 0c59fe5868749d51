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

interface EslintJsonResult {
  messages: Array<{ ruleId: string | null; message: string }>;
}

/**
 * Lints a small module that imports `specifier`, as if it were a file inside `projectDir`, by running the
 * workspace's real ESLint (its flat config, including `@nx/enforce-module-boundaries`) in a child process.
 *
 * @example
 * const findings = await lintImport('packages/synapse-admin', '@matrix-reset/k8s-ops');
 * // findings[0].ruleId === '@nx/enforce-module-boundaries'
 */
export async function lintImport(projectDir: string, specifier: string): Promise<LintFinding[]> {
  const filePath = path.join(workspaceRoot, projectDir, 'src', '__layering-probe__.ts');
  const code = `import * as probe from '${specifier}';\n\nexport const used = probe;\n`;
  const eslintBin = path.join(workspaceRoot, 'node_modules', 'eslint', 'bin', 'eslint.js');
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [eslintBin, '--format', 'json', '--stdin', '--stdin-filename', filePath],
      { cwd: workspaceRoot, maxBuffer: 16 * 1024 * 1024 },
      (error, out, err) => {
        // ESLint exits 1 when it found problems: that is an answer, not a failure.
        if (error && error.code !== 1) reject(new Error(`eslint failed (exit ${String(error.code)}): ${err}`));
        else resolve(out);
      },
    );
    child.stdin?.end(code);
  });
  const results = JSON.parse(stdout) as EslintJsonResult[];
  return (results[0]?.messages ?? []).map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

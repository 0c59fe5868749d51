import { globSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { workspaceRoot } from './lint-import.ts';

/** The projects the checks cover: every package and app (tools may break the rules a product must keep). */
export const PRODUCT_PROJECTS: readonly string[] = ['packages/*', 'apps/*'];

/**
 * The TypeScript files under `src/` of the projects matching `projectGlobs` (relative to the workspace root), as
 * absolute paths, sorted. Declaration files are left out; tests are in unless `tests: false`.
 *
 * @example
 * sourceFiles(['packages/k8s-ops'], { tests: false }); // ['/…/packages/k8s-ops/src/call-api.ts', …]
 */
export function sourceFiles(projectGlobs: readonly string[], options: { tests?: boolean } = {}): string[] {
  const files = projectGlobs.flatMap((glob) => globSync(`${glob}/src/**/*.ts`, { cwd: workspaceRoot }));
  return files
    .filter((file) => !file.endsWith('.d.ts') && !file.split(path.sep).includes('node_modules'))
    .filter((file) => options.tests !== false || !(/\.test\.ts$/.test(file) || file.split(path.sep).includes('test-support')))
    .map((file) => path.join(workspaceRoot, file))
    .sort();
}

/**
 * The workspace's compiler options (tsconfig.base.json: nodenext, the source export condition), for analysis only.
 *
 * @example
 * ts.createProgram({ rootNames: sourceFiles(['packages/k8s-ops']), options: workspaceCompilerOptions() });
 */
export function workspaceCompilerOptions(): ts.CompilerOptions {
  const file = path.join(workspaceRoot, 'tsconfig.base.json');
  const { config, error } = ts.readConfigFile(file, (name) => readFileSync(name, 'utf8'));
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, workspaceRoot, undefined, file);
  return { ...parsed.options, noEmit: true, composite: false, declaration: false, declarationMap: false, sourceMap: false, types: ['node'] };
}

/**
 * `file` relative to the workspace root, with forward slashes, for messages.
 *
 * @example
 * relativeName(path.join(workspaceRoot, 'packages/k8s-ops/src/index.ts')); // 'packages/k8s-ops/src/index.ts'
 */
export function relativeName(file: string): string {
  return path.relative(workspaceRoot, file).split(path.sep).join('/');
}

/**
 * `file:line` (1-based) of a position in a source file.
 *
 * @example
 * location(declaration.getSourceFile(), declaration.getStart()); // 'packages/k8s-ops/src/k8s-ops-error.ts:40'
 */
export function location(sourceFile: ts.SourceFile, position: number): string {
  return `${relativeName(sourceFile.fileName)}:${sourceFile.getLineAndCharacterOfPosition(position).line + 1}`;
}

/**
 * The package's public entry points (the `@matrix-reset/source` targets of its package.json `exports`), by the
 * specifier a user imports them with.
 *
 * @example
 * entryPoints('packages/k8s-ops'); // Map { '@matrix-reset/k8s-ops' => '/…/src/index.ts', '@matrix-reset/k8s-ops/permissions' => '/…/src/permissions.ts' }
 */
export function entryPoints(packageDir: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(workspaceRoot, packageDir, 'package.json'), 'utf8')) as {
    name: string;
    exports?: Record<string, string | Record<string, string>>;
  };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const source = typeof target === 'string' ? target : target['@matrix-reset/source'];
    if (source === undefined || !source.endsWith('.ts')) continue;
    entries.set(subpath === '.' ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, '')}`, path.join(workspaceRoot, packageDir, source));
  }
  return entries;
}

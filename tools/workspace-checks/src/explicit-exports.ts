import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { location } from './workspace-files.ts';

/**
 * Every `export * from '…'` and `export * as name from '…'` in `files`, as `file:line: export * from '…'`. A package
 * entry point lists what it publishes by name, so an internal helper added to a module does not become public API
 * on its own.
 *
 * @example
 * exportStars(['/…/packages/reset-core/src/index.ts']); // ["packages/reset-core/src/index.ts:3: export * from './plan-freeze.ts'"]
 */
export function exportStars(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    const sourceFile = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    return sourceFile.statements
      .filter((s): s is ts.ExportDeclaration => ts.isExportDeclaration(s) && (s.exportClause === undefined || ts.isNamespaceExport(s.exportClause)))
      .map((s) => `${location(sourceFile, s.getStart(sourceFile))}: ${s.getText(sourceFile)}`);
  });
}

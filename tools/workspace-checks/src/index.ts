export { lintImports, workspaceRoot, type ImportProbe, type LintFinding } from './lint-import.ts';

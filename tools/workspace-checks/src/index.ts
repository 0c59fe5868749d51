export { lintImport, workspaceRoot, type LintFinding } from './lint-import.ts';

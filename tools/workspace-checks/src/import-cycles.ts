import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { relativeName, workspaceCompilerOptions } from './workspace-files.ts';

/** One import of one file by another: where it is written, and what it says. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** 1-based line of the import in `from`. */
  readonly line: number;
  readonly specifier: string;
  /** `import type`, `export type`, an `import('…')` type or an import whose every name is a type. */
  readonly typeOnly: boolean;
}

/** A set of files that import each other, directly or through one another (a strongly connected component). */
export interface ImportCycle {
  /** The files, workspace-relative, sorted. */
  readonly files: readonly string[];
  /** One shortest way round, from the first file back to it: `a.ts -> b.ts -> a.ts`. */
  readonly path: readonly string[];
  /** Every import between the files: the ones to cut. */
  readonly imports: readonly ImportEdge[];
}

/**
 * Every import of every file in `files` that resolves (as TypeScript resolves it: relative paths, and workspace
 * packages through the `@matrix-reset/source` condition to their `src/`) to another file in `files`. Static imports
 * and re-exports, type-only ones, `import('…')` expressions and `import('…')` types all count; packages from
 * node_modules and files outside `files` do not.
 *
 * @example
 * importEdges(sourceFiles(['packages/k8s-ops'])); // [{ from: '/…/call-api.ts', to: '/…/k8s-ops-error.ts', line: 1, … }, …]
 */
export function importEdges(files: readonly string[], options: ts.CompilerOptions = workspaceCompilerOptions()): ImportEdge[] {
  const inGraph = new Set(files);
  const cache = ts.createModuleResolutionCache(process.cwd(), (name) => name, options);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const sourceFile = ts.createSourceFile(from, readFileSync(from, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    for (const { specifier, node, typeOnly } of moduleReferences(sourceFile)) {
      // Every project is "type": "module": resolve as an ES module import.
      const resolved = ts.resolveModuleName(specifier, from, options, ts.sys, cache, undefined, ts.ModuleKind.ESNext).resolvedModule;
      if (resolved === undefined || !inGraph.has(resolved.resolvedFileName)) continue;
      const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
      edges.push({ from, to: resolved.resolvedFileName, line, specifier, typeOnly });
    }
  }
  return edges;
}

/**
 * The import cycles among `edges`: each strongly connected component of more than one file (or a file importing
 * itself), with one way round and the imports inside it, sorted by their first file.
 *
 * @example
 * importCycles(importEdges(sourceFiles(PRODUCT_PROJECTS))).map((c) => c.path.join(' -> '));
 * // ['packages/x/src/a.ts -> packages/x/src/b.ts -> packages/x/src/a.ts']
 */
export function importCycles(edges: readonly ImportEdge[]): ImportCycle[] {
  const next = new Map<string, string[]>();
  for (const edge of edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const cycles: ImportCycle[] = [];
  for (const component of stronglyConnected(next)) {
    const members = new Set(component);
    const selfImport = component.length === 1 && next.get(component[0] ?? '')?.includes(component[0] ?? '');
    if (component.length < 2 && !selfImport) continue;
    const files = [...component].sort();
    const start = files[0] ?? '';
    cycles.push({
      files: files.map(relativeName),
      path: shortestWayRound(start, next, members).map(relativeName),
      imports: edges.filter((e) => members.has(e.from) && members.has(e.to)).map((e) => ({ ...e, from: relativeName(e.from), to: relativeName(e.to) })),
    });
  }
  return cycles.sort((a, b) => (a.files[0] ?? '').localeCompare(b.files[0] ?? ''));
}

/** A cycle as a reader fixes it: the way round, then each import inside it with its file and line. */
export function describeCycle(cycle: ImportCycle): string {
  const imports = cycle.imports.map((e) => `  ${e.from}:${e.line} imports ${e.typeOnly ? 'type-only ' : ''}'${e.specifier}'`);
  return [`cycle of ${cycle.files.length} file(s): ${cycle.path.join(' -> ')}`, ...imports].join('\n');
}

interface ModuleReference {
  specifier: string;
  node: ts.Node;
  typeOnly: boolean;
}

function moduleReferences(sourceFile: ts.SourceFile): ModuleReference[] {
  const found: ModuleReference[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, node, typeOnly: importIsTypeOnly(node.importClause) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause !== undefined && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, node, typeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, node, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, node, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, node, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

function importIsTypeOnly(clause: ts.ImportClause | undefined): boolean {
  if (clause === undefined) return false; // `import './side-effect.ts'`
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined || clause.namedBindings === undefined || ts.isNamespaceImport(clause.namedBindings)) return false;
  return clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly);
}

/** Tarjan's algorithm, iterative (a long import chain must not overflow the stack). */
function stronglyConnected(next: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of next.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; child: number }> = [{ node: root, child: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const children = next.get(frame.node) ?? [];
      if (frame.child < children.length) {
        const child = children[frame.child++]!;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/** Breadth-first from `start` back to it, inside `members`. */
function shortestWayRound(start: string, next: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const child of next.get(node) ?? []) {
      if (!members.has(child)) continue;
      if (child === start) {
        const way: string[] = [];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = cameFrom.get(at)) way.push(at);
        return [start, ...way.reverse(), start];
      }
      if (!cameFrom.has(child) && child !== start) {
        cameFrom.set(child, node);
        queue.push(child);
      }
    }
  }
  return [start];
}

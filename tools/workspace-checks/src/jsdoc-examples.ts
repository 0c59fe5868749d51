import path from 'node:path';
import ts from 'typescript';
import { workspaceRoot } from './lint-import.ts';
import { entryPoints, relativeName, workspaceCompilerOptions } from './workspace-files.ts';

/** One line of an example, and where it is in the source. */
export interface ExampleLine {
  readonly text: string;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
}

/** One `@example` of a public declaration, as code, with where each of its lines is in the source. */
export interface JsdocExample {
  /** The declaration it documents, e.g. `scaleStatefulSet` or `SynapseClient.detectAuthMode`. */
  readonly name: string;
  /** `file:line` of the `@example` tag. */
  readonly at: string;
  readonly lines: readonly ExampleLine[];
}

/** An example that does not compile: where, and the compiler's words. */
export interface ExampleFailure {
  /** `file:line` of the offending line in the source (the JSDoc line), or of the tag when not on a line. */
  readonly at: string;
  readonly name: string;
  readonly message: string;
}

/** What a package's examples may take for granted: its free variables, declared. */
export interface ExamplePreamble {
  /** Declarations (and the imports they need) placed before every example, e.g. `declare const kube: Kube;`. */
  readonly declarations: string;
}

/**
 * Compiles every `@example` in the JSDoc of the package's public declarations (what its entry points export, and
 * the members of exported classes and interfaces) against those entry points, as a user of the package would:
 * each example is its own module that imports every public name, then the `preamble`, then the example's code
 * (inside ```ts fences when it has them). Returns each compiler diagnostic, pointed at the example's line.
 *
 * @example
 * checkJsdocExamples('packages/k8s-ops', { declarations: "import type { Kube } from '@matrix-reset/k8s-ops';\ndeclare const kube: Kube;" });
 * // [{ at: 'packages/k8s-ops/src/lease-lock.ts:41', name: 'acquireLeaseLock', message: "Cannot find name 'runId'." }]
 */
export function checkJsdocExamples(packageDir: string, preamble: ExamplePreamble, options: ts.CompilerOptions = workspaceCompilerOptions()): { examples: number; failures: ExampleFailure[] } {
  const entries = entryPoints(packageDir);
  const base = ts.createProgram({ rootNames: [...entries.values()], options });
  const checker = base.getTypeChecker();
  const imports = publicImports(checker, base, entries);
  const examples = [...entries.values()].flatMap((entry) => publicExamples(checker, base, entry));

  const virtual = new Map<string, { example: JsdocExample; rows: readonly { text: string; from: ExampleLine | undefined }[] }>();
  examples.forEach((example, i) => {
    const { imports: own, body } = splitImports(example.lines);
    const ownNames = importedNames(own.map((l) => l.text).join('\n'));
    const generated = (text: string) => ({ text, from: undefined });
    // The example's own imports, then every public name it does not import itself, then the preamble; the example's
    // code sits in a block, so it may shadow a preamble name (`const kube = createKube(...)`) as a user's code would.
    const rows = [
      ...own.map((l) => ({ text: l.text, from: l })),
      ...publicImportLines(imports, ownNames).map(generated),
      ...preamble.declarations.split('\n').map(generated),
      generated('{'),
      ...body.map((l) => ({ text: l.text, from: l })),
      generated('}'),
      generated('export {};'),
    ];
    virtual.set(path.join(workspaceRoot, packageDir, 'src', `__jsdoc-example-${i}__.ts`), { example, rows });
  });
  const textOf = (name: string) => virtual.get(path.resolve(name))?.rows.map((r) => r.text).join('\n');

  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const text = textOf(name);
    return text !== undefined ? ts.createSourceFile(name, text, languageVersion, true, ts.ScriptKind.TS) : getSourceFile(name, languageVersion, onError, shouldCreate);
  };
  host.fileExists = (name) => virtual.has(path.resolve(name)) || fileExists(name);
  host.readFile = (name) => textOf(name) ?? readFile(name);
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host, oldProgram: base });

  const failures: ExampleFailure[] = [];
  for (const [file, { example, rows }] of virtual) {
    const sourceFile = program.getSourceFile(file);
    if (sourceFile === undefined) throw new Error(`example file ${file} was not compiled`);
    for (const diagnostic of [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]) {
      const source = diagnostic.start === undefined ? undefined : rows[sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line]?.from;
      failures.push({
        at: source === undefined ? example.at : `${source.file}:${source.line}`,
        name: example.name,
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '),
      });
    }
  }
  return { examples: examples.length, failures };
}

/** A public name and the entry point to import it from (each name from the first entry exporting it). */
interface PublicName {
  readonly name: string;
  readonly specifier: string;
  readonly typeOnly: boolean;
}

function publicImports(checker: ts.TypeChecker, program: ts.Program, entries: ReadonlyMap<string, string>): PublicName[] {
  const names = new Map<string, PublicName>();
  for (const [specifier, file] of entries) {
    for (const exported of exportsOf(checker, program, file)) {
      if (names.has(exported.getName())) continue;
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      names.set(exported.getName(), { name: exported.getName(), specifier, typeOnly: !(target.flags & ts.SymbolFlags.Value) });
    }
  }
  return [...names.values()];
}

/** `import { a, type B } from '<entry>';` lines for the public names an example does not import itself. */
function publicImportLines(names: readonly PublicName[], except: ReadonlySet<string>): string[] {
  const bySpecifier = new Map<string, string[]>();
  for (const { name, specifier, typeOnly } of names) {
    if (except.has(name)) continue;
    bySpecifier.set(specifier, [...(bySpecifier.get(specifier) ?? []), typeOnly ? `type ${name}` : name]);
  }
  return [...bySpecifier].map(([specifier, list]) => `import { ${list.join(', ')} } from '${specifier}';`);
}

/** The example's import statements (which may span lines) and the rest of it. */
function splitImports(lines: readonly ExampleLine[]): { imports: ExampleLine[]; body: ExampleLine[] } {
  const imports: ExampleLine[] = [];
  const body: ExampleLine[] = [];
  let inImport = false;
  for (const line of lines) {
    if (!inImport && /^\s*import[\s{]/.test(line.text)) inImport = true;
    (inImport ? imports : body).push(line);
    if (inImport && /(from\s*)?['"][^'"]+['"]\s*;?\s*$/.test(line.text)) inImport = false;
  }
  return { imports, body };
}

/** The local names the import statements in `code` bind. */
function importedNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const statement of ts.createSourceFile('imports.ts', code, ts.ScriptTarget.Latest).statements) {
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    if (clause?.name !== undefined) names.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
    if (bindings !== undefined && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add(element.name.text);
  }
  return names;
}

function exportsOf(checker: ts.TypeChecker, program: ts.Program, file: string): ts.Symbol[] {
  const sourceFile = program.getSourceFile(file);
  const moduleSymbol = sourceFile === undefined ? undefined : checker.getSymbolAtLocation(sourceFile);
  if (moduleSymbol === undefined) throw new Error(`${relativeName(file)} is not a module`);
  return checker.getExportsOfModule(moduleSymbol);
}

/** The examples of what `entry` exports, and of the members of exported classes and interfaces, in source order. */
function publicExamples(checker: ts.TypeChecker, program: ts.Program, entry: string): JsdocExample[] {
  const seen = new Set<ts.JSDocTag>();
  const examples: JsdocExample[] = [];
  const collect = (name: string, declaration: ts.Node) => {
    for (const tag of ts.getJSDocTags(declaration)) {
      if (tag.tagName.text !== 'example' || seen.has(tag)) continue;
      seen.add(tag);
      examples.push(exampleOf(name, tag));
    }
  };
  for (const exported of exportsOf(checker, program, entry)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const declaration of symbol.declarations ?? []) {
      collect(exported.getName(), declaration);
      if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) {
        for (const member of declaration.members) {
          const memberName = member.name !== undefined && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)) ? member.name.text : 'constructor';
          if (member.name !== undefined && ts.isPrivateIdentifier(member.name)) continue;
          collect(`${exported.getName()}.${memberName}`, member);
        }
      }
    }
  }
  return examples.sort((a, b) => a.at.localeCompare(b.at, undefined, { numeric: true }));
}

/** The code of one `@example` tag: the JSDoc `*` margins removed; only what is inside code fences when it has any. */
function exampleOf(name: string, tag: ts.JSDocTag): JsdocExample {
  const sourceFile = tag.getSourceFile();
  const file = relativeName(sourceFile.fileName);
  const start = tag.tagName.end;
  const firstLine = sourceFile.getLineAndCharacterOfPosition(start).line;
  const raw = sourceFile.text.slice(start, tag.end).split('\n');
  const lines = raw.map((text, i) => ({ text: (i === 0 ? text : text.replace(/^\s*\*( |$)?/, '')).replace(/\s*\*\/\s*$/, ''), file, line: firstLine + i + 1 }));
  const fenced = lines.some((l) => /^\s*```/.test(l.text));
  let inside = false;
  const code = lines.filter((l) => {
    if (!fenced) return true;
    if (/^\s*```/.test(l.text)) {
      inside = !inside;
      return false;
    }
    return inside;
  });
  return { name, at: `${file}:${firstLine + 1}`, lines: code };
}

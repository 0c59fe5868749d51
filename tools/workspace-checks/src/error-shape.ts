import ts from 'typescript';
import { location, workspaceCompilerOptions } from './workspace-files.ts';

/** An exported `*Error` class whose instances lack the shape every expected error has. */
export interface ErrorShapeViolation {
  /** `file:line` of the class declaration. */
  readonly at: string;
  readonly className: string;
  /** What is wrong, e.g. `nextSteps is string, needs readonly string[]`. */
  readonly problems: readonly string[];
}

/**
 * Every exported class named `…Error` in `files` whose instance type does not have `code: string` (a string or a
 * union of string literals) and `nextSteps: readonly string[]`: the shape the CLI and the HTTP service recognise an
 * expected error by. Our boundaries forbid a shared base class, so this check holds the shape instead. Inherited
 * properties count (EnsureCredentialsError gets both from ResetError).
 *
 * @example
 * errorShapeViolations(sourceFiles(PRODUCT_PROJECTS, { tests: false }));
 * // [{ at: 'packages/k8s-ops/src/k8s-ops-error.ts:40', className: 'K8sOpsError', problems: ['nextSteps is string, needs readonly string[]'] }]
 */
export function errorShapeViolations(files: readonly string[], options: ts.CompilerOptions = workspaceCompilerOptions()): ErrorShapeViolation[] {
  const program = ts.createProgram({ rootNames: files, options });
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Declaration>();
  const violations: ErrorShapeViolation[] = [];
  for (const file of files) {
    const sourceFile = program.getSourceFile(file);
    const moduleSymbol = sourceFile === undefined ? undefined : checker.getSymbolAtLocation(sourceFile);
    if (moduleSymbol === undefined) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.find(ts.isClassDeclaration);
      if (!(symbol.flags & ts.SymbolFlags.Class) || declaration === undefined || seen.has(declaration)) continue;
      if (!exported.getName().endsWith('Error') && !symbol.getName().endsWith('Error')) continue;
      seen.add(declaration);
      const problems = shapeProblems(checker, checker.getDeclaredTypeOfSymbol(symbol));
      if (problems.length > 0) {
        violations.push({ at: location(declaration.getSourceFile(), declaration.getStart()), className: symbol.getName(), problems });
      }
    }
  }
  return violations;
}

function shapeProblems(checker: ts.TypeChecker, instance: ts.Type): string[] {
  const problems: string[] = [];
  const code = checker.getPropertyOfType(instance, 'code');
  const codeType = code === undefined ? undefined : checker.getTypeOfSymbol(code);
  if (codeType === undefined) problems.push('no code property, needs code: string');
  else if (!isStringLike(checker, codeType)) problems.push(`code is ${checker.typeToString(codeType)}, needs string`);

  const nextSteps = checker.getPropertyOfType(instance, 'nextSteps');
  const stepsType = nextSteps === undefined ? undefined : checker.getTypeOfSymbol(nextSteps);
  if (stepsType === undefined) problems.push('no nextSteps property, needs nextSteps: readonly string[]');
  else if (!isReadonlyStringArray(checker, stepsType)) problems.push(`nextSteps is ${checker.typeToString(stepsType)}, needs readonly string[]`);
  return problems;
}

function isStringLike(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return false;
  return checker.isTypeAssignableTo(type, checker.getStringType());
}

function isReadonlyStringArray(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (!checker.isArrayType(type) || type.getSymbol()?.getName() !== 'ReadonlyArray') return false;
  const [element] = checker.getTypeArguments(type as ts.TypeReference);
  return element !== undefined && isStringLike(checker, element);
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorShapeViolations } from './error-shape.ts';
import { PRODUCT_PROJECTS, sourceFiles, workspaceCompilerOptions } from './workspace-files.ts';

describe('expected errors have one shape', () => {
  it('every exported *Error class in packages/ and apps/ has code: string and nextSteps: readonly string[]', () => {
    const files = sourceFiles(PRODUCT_PROJECTS, { tests: false });
    expect(files.length).toBeGreaterThan(50);
    expect(errorShapeViolations(files)).toEqual([]);
  });

  describe('the check itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'error-shape-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      const full = path.join(dir, name);
      writeFileSync(full, text);
      return full;
    };
    const options = { ...workspaceCompilerOptions(), types: [] };

    it('names a string nextSteps, a missing code and a numeric code; passes the shape, a subclass of it and unexported classes', () => {
      const errors = file(
        'errors.ts',
        [
          "export class GoodError extends Error { readonly code: 'a' | 'b' = 'a'; readonly nextSteps: readonly string[] = []; }",
          'export class SubError extends GoodError { readonly extra = 1; }',
          "export class StringStepsError extends Error { readonly code = 'x' as string; readonly nextSteps: string = ''; }",
          'export class NoCodeError extends Error { readonly nextSteps: readonly string[] = []; }',
          'export class MutableStepsError extends Error { readonly code: string = "x"; readonly nextSteps: string[] = []; }',
          'class HiddenError extends Error { readonly code = 1; }',
          'export class NotAnErrorName { readonly code = 1; }',
          'export const used = new HiddenError();',
        ].join('\n'),
      );
      const reexport = file('index.ts', "export { NoCodeError as RenamedError, GoodError } from './errors.ts';\n");
      expect(errorShapeViolations([errors, reexport], options).map((v) => [v.className, v.problems])).toEqual([
        ['StringStepsError', ['nextSteps is string, needs readonly string[]']],
        ['NoCodeError', ['no code property, needs code: string']],
        ['MutableStepsError', ['nextSteps is string[], needs readonly string[]']],
      ]);
    });

    it('says where the class is declared', () => {
      const errors = file('where.ts', '\n\nexport class WhereError extends Error { readonly code: number = 2; readonly nextSteps: readonly string[] = []; }\n');
      const [violation] = errorShapeViolations([errors], options);
      expect(violation?.at).toMatch(/where\.ts:3$/);
      expect(violation?.problems).toEqual(['code is number, needs string']);
    });
  });
});

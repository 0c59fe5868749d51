import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCycle, importCycles, importEdges } from './import-cycles.ts';
import { workspaceRoot } from './lint-import.ts';
import { PRODUCT_PROJECTS, sourceFiles, workspaceCompilerOptions } from './workspace-files.ts';

describe('import cycles', () => {
  it('no file in packages/ or apps/ (tests included) imports itself through others, type-only imports included', () => {
    const files = sourceFiles(PRODUCT_PROJECTS);
    const edges = importEdges(files);
    // The graph is real: workspace packages resolve to their source, not just relative paths.
    expect(edges.some((e) => e.specifier === '@matrix-reset/k8s-ops' && e.to.endsWith('packages/k8s-ops/src/index.ts'))).toBe(true);
    expect(importCycles(edges).map(describeCycle)).toEqual([]);
  });

  describe('the check itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'import-cycles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (files: Record<string, string>): string[] => {
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      return Object.entries(files).map(([name, text]) => {
        const full = path.join(dir, name);
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, text);
        return full;
      });
    };
    const options = { ...workspaceCompilerOptions(), types: [] };

    it('finds a cycle through a type-only import, a re-export and an import() type, and names every import in it', () => {
      const files = write({
        'a.ts': "import type { B } from './b.ts';\nexport type A = B;\n",
        'b.ts': "export * from './c.ts';\nexport type B = string;\n",
        'c.ts': "export type C = import('./a.ts').A;\n",
        'd.ts': "import { x } from './e.ts';\nexport const y = x;\n",
        'e.ts': 'export const x = 1;\n',
      });
      const cycles = importCycles(importEdges(files, options));
      expect(cycles).toHaveLength(1);
      expect(cycles[0]?.files.map((f) => path.basename(f))).toEqual(['a.ts', 'b.ts', 'c.ts']);
      expect(cycles[0]?.path.map((f) => path.basename(f))).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
      expect(cycles[0]?.imports.map((e) => [path.basename(e.from), e.line, e.specifier, e.typeOnly])).toEqual([
        ['a.ts', 1, './b.ts', true],
        ['b.ts', 1, './c.ts', false],
        ['c.ts', 1, './a.ts', true],
      ]);
    });

    it('finds a cycle through a dynamic import() and a file importing itself', () => {
      const files = write({
        'lazy/f.ts': "export const load = () => import('./g.ts');\n",
        'lazy/g.ts': "import { load } from './f.ts';\nexport const again = load;\n",
        'self.ts': "import * as me from './self.ts';\nexport const self = me;\n",
      });
      expect(importCycles(importEdges(files, options)).map((c) => c.path.map((f) => path.relative(dir, path.resolve(workspaceRoot, f))))).toEqual([
        [path.join('lazy', 'f.ts'), path.join('lazy', 'g.ts'), path.join('lazy', 'f.ts')],
        ['self.ts', 'self.ts'],
      ]);
    });
  });
});

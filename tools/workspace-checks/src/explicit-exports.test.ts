import { globSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportStars } from './explicit-exports.ts';
import { workspaceRoot } from './lint-import.ts';
import { PRODUCT_PROJECTS, entryPoints } from './workspace-files.ts';

describe('package entry points export by name', () => {
  it('no entry point of a package or app (packages/*/src/index.ts, …) uses export *', () => {
    const projects = PRODUCT_PROJECTS.flatMap((glob) => globSync(glob, { cwd: workspaceRoot }));
    const entries = projects.flatMap((project) => [...entryPoints(project).values()]);
    expect(entries).toContain(path.join(workspaceRoot, 'packages/reset-core/src/index.ts'));
    expect(exportStars(entries)).toEqual([]);
  });

  describe('the check itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'explicit-exports-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('names export * and export * as, and passes named exports and type exports', () => {
      const file = path.join(dir, 'index.ts');
      writeFileSync(
        file,
        ["export { a, type B } from './a.ts';", "export type { C } from './c.ts';", "export * from './internals.ts';", '', "export * as helpers from './helpers.ts';", ''].join('\n'),
      );
      expect(exportStars([file]).map((finding) => finding.replace(/^.*index\.ts:/, 'index.ts:'))).toEqual([
        "index.ts:3: export * from './internals.ts';",
        "index.ts:5: export * as helpers from './helpers.ts';",
      ]);
    });
  });
});

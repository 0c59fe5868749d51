import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The shape of the command files (issue 10): a command parses its flags, makes one reset-core call through the shared
 * helpers and renders the result with a renderer of its own file, so each stays short and none needs another.
 */

const COMMANDS_DIR = fileURLToPath(new URL('./commands', import.meta.url));
const MAX_LINES = 60;

function commandFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return commandFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function importsOf(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
  return specifiers.filter((s) => s !== '');
}

const FILES = commandFiles(COMMANDS_DIR).map((path) => ({ name: relative(COMMANDS_DIR, path), path, source: readFileSync(path, 'utf8') }));

describe('command files', () => {
  it('finds the command files', () => {
    expect(FILES.map((f) => f.name)).toEqual(expect.arrayContaining(['apply.ts', 'doctor.ts', 'creds/clear.ts', 'service/token.ts']));
  });

  it.each(FILES.map((f) => [f.name, f] as const))(`%s has fewer than ${MAX_LINES} lines`, (_name, file) => {
    const lines = file.source.replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThan(MAX_LINES);
  });

  it.each(FILES.map((f) => [f.name, f] as const))('%s imports no other command', (_name, file) => {
    const intoCommands = importsOf(file.source)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(file.path), specifier))
      .filter((target) => !relative(COMMANDS_DIR, target).startsWith('..'));
    expect(intoCommands.map((target) => relative(COMMANDS_DIR, target))).toEqual([]);
  });

  it('the import check sees an import of another command', () => {
    expect(importsOf("import { renderRun } from './status.ts';\nconst m = await import('../commands/plan.ts');")).toEqual(['./status.ts', '../commands/plan.ts']);
  });
});

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkJsdocExamples, type ExamplePreamble } from './jsdoc-examples.ts';
import { workspaceRoot } from './lint-import.ts';
import { workspaceCompilerOptions } from './workspace-files.ts';

/**
 * What each package's examples may take for granted, declared: the few values an example of that package is
 * about and would otherwise spend its lines building. Everything else an example uses, it builds or imports.
 */
const PREAMBLES: Readonly<Record<string, ExamplePreamble>> = {
  'packages/synapse-admin': {
    declarations: [
      '/** A client with a server admin\'s access token. */ declare const client: SynapseClient;',
      '/** What a catch block caught. */ declare const error: unknown;',
    ].join('\n'),
  },
  'packages/k8s-ops': {
    declarations: [
      '/** A connected cluster (createKube(loadKubeConfig(...))). */ declare const kube: Kube;',
      '/** The namespace and name of the object the example is about. */ declare const namespace: string, name: string;',
    ].join('\n'),
  },
  'packages/secrets': {
    declarations: [
      "import type { Kube } from '@matrix-reset/k8s-ops';",
      '/** A connected cluster, for the Kubernetes Secret store. */ declare const kube: Kube;',
      '/** A new secret value to store. */ declare const token: string;',
      '/** What a catch block caught. */ declare const error: unknown;',
    ].join('\n'),
  },
  'packages/user-creds': {
    declarations: [
      '/** The app database. */ declare const db: AnyKysely;',
      '/** What the operation functions take: the database, the layout and our own schema. */ declare const ctx: UserCredsContext;',
      '/** The operations bound to them (createUserCreds). */ declare const creds: UserCreds;',
      '/** What a catch block caught. */ declare const error: unknown;',
    ].join('\n'),
  },
  'packages/reset-core': {
    declarations: [
      "import type { AnyKysely } from '@matrix-reset/user-creds';",
      '/** One environment of the configuration (resolveEnvironment). */ declare const env: EnvironmentConfig;',
      '/** An open connection to it (connectEnvironment). */ declare const connection: EnvironmentConnection;',
      '/** The app database. */ declare const db: AnyKysely;',
      '/** A plan (buildPlan, readPlanFile). */ declare const plan: Plan;',
      '/** What a catch block caught. */ declare const error: unknown;',
    ].join('\n'),
  },
};

/** The packages whose examples are checked: every public one. */
const CHECKED = ['packages/synapse-admin', 'packages/k8s-ops', 'packages/secrets', 'packages/user-creds', 'packages/reset-core'] as const;

describe('JSDoc examples', () => {
  it.each(CHECKED)('every @example of a public declaration in %s compiles against the package entry points', (packageDir) => {
    const preamble = PREAMBLES[packageDir];
    if (preamble === undefined) throw new Error(`no preamble for ${packageDir}`);
    const { examples, failures } = checkJsdocExamples(packageDir, preamble);
    expect(examples).toBeGreaterThan(0);
    expect(failures.map((f) => `${f.at} (${f.name}): ${f.message}`)).toEqual([]);
  });

  describe('the check itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jsdoc-examples-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const options = { ...workspaceCompilerOptions(), types: [] };

    // A package `fixture-lib` resolvable by name from its own files, as workspace packages are.
    const write = (files: Record<string, string>) => {
      for (const [name, text] of Object.entries({
        'package.json': JSON.stringify({ name: 'fixture-lib', type: 'module', exports: { '.': { '@matrix-reset/source': './src/index.ts' } } }),
        ...files,
      })) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
      }
      mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
      rmSync(path.join(dir, 'node_modules', 'fixture-lib'), { force: true });
      symlinkSync(dir, path.join(dir, 'node_modules', 'fixture-lib'));
      return path.relative(workspaceRoot, dir);
    };

    it('names the file, the line and the diagnostic of a failing example; passes good ones, fenced or not, and skips internals', () => {
      const packageDir = write({
        'src/index.ts': "export { double, Counter } from './math.ts';\n",
        'src/math.ts': [
          '/**',
          ' * Doubles.',
          ' *',
          ' * @example',
          ' * double(2); // 4',
          ' */',
          'export function double(n: number): number {',
          '  return n * 2;',
          '}',
          '',
          '/** Counts. */',
          'export class Counter {',
          '  /**',
          '   * Adds one.',
          '   *',
          '   * @example',
          '   * ```ts',
          '   * const counter = new Counter();',
          "   * counter.add('one');",
          '   * ```',
          '   */',
          '  add(n: number): number {',
          '    return double(n);',
          '  }',
          '}',
          '',
          '/**',
          ' * Not exported from the index: not checked.',
          ' *',
          ' * @example',
          ' * internal(undefinedThing);',
          ' */',
          'export function internal(x: number): number {',
          '  return x;',
          '}',
          '',
        ].join('\n'),
      });
      const { examples, failures } = checkJsdocExamples(packageDir, { declarations: '' }, options);
      expect(examples).toBe(2);
      expect(failures).toEqual([
        {
          at: `${path.relative(workspaceRoot, dir).split(path.sep).join('/')}/src/math.ts:19`,
          name: 'Counter.add',
          message: "Argument of type 'string' is not assignable to parameter of type 'number'.",
        },
      ]);
    });

    it('gives examples the preamble, and lets an example import a name itself', () => {
      const packageDir = write({
        'src/index.ts': [
          '/**',
          ' * @example',
          " * import { greet } from 'fixture-lib';",
          ' * greet(person);',
          ' */',
          'export function greet(who: string): string {',
          '  return `hi ${who}`;',
          '}',
          '',
        ].join('\n'),
      });
      expect(checkJsdocExamples(packageDir, { declarations: 'declare const person: string;' }, options).failures).toEqual([]);
      expect(checkJsdocExamples(packageDir, { declarations: '' }, options).failures.map((f) => f.message)).toEqual(["Cannot find name 'person'."]);
    });
  });
});

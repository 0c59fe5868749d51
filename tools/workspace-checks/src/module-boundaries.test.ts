import { beforeAll, describe, expect, it } from 'vitest';
import { lintImports, type LintFinding } from './lint-import.ts';

const boundary = '@nx/enforce-module-boundaries';

const forbidden: Array<[string, string]> = [
  ['packages/synapse-admin', '@matrix-reset/k8s-ops'],
  ['packages/synapse-admin', '@matrix-reset/user-creds'],
  ['packages/k8s-ops', '@matrix-reset/user-creds'],
  ['packages/user-creds', '@matrix-reset/synapse-admin'],
  ['packages/secrets', '@matrix-reset/user-creds'],
  ['packages/synapse-admin', '@matrix-reset/reset-core'],
  ['packages/reset-core', '@matrix-reset/cli'],
  ['apps/http', '@matrix-reset/cli'],
  ['apps/cli', '@matrix-reset/synapse-admin'],
  ['tools/bench', '@matrix-reset/http'],
];
const allowed: Array<[string, string]> = [
  ['packages/secrets', '@matrix-reset/k8s-ops'],
  ['packages/reset-core', '@matrix-reset/synapse-admin'],
  ['packages/reset-core', '@matrix-reset/user-creds'],
  ['apps/cli', '@matrix-reset/reset-core'],
  ['apps/http', '@matrix-reset/reset-core'],
  ['tools/bench', '@matrix-reset/synapse-admin'],
];

describe('module boundaries', () => {
  const findings = new Map<string, LintFinding[]>();
  const key = (from: string, specifier: string) => `${from} -> ${specifier}`;

  beforeAll(async () => {
    const all = [...forbidden, ...allowed];
    const results = await lintImports(all.map(([projectDir, specifier]) => ({ projectDir, specifier })));
    all.forEach(([from, specifier], i) => {
      findings.set(key(from, specifier), (results[i] ?? []).filter((f) => f.ruleId === boundary));
    });
  });

  it.each(forbidden)('%s may not import %s', (from, specifier) => {
    const found = findings.get(key(from, specifier));
    expect(found).toHaveLength(1);
    expect(found?.[0]?.message).toMatch(/can only depend on libs tagged with/);
  });

  it('refuses the import back from k8s-ops to secrets, which would close a cycle', async () => {
    const [found] = await lintImports([{ projectDir: 'packages/k8s-ops', specifier: '@matrix-reset/secrets' }]);
    const boundaryErrors = (found ?? []).filter((f) => f.ruleId === boundary);
    expect(boundaryErrors).toHaveLength(1);
    expect(boundaryErrors[0]?.message).toMatch(/can only depend on libs tagged with|Circular dependency/);
  });

  it.each(allowed)('%s may import %s', (from, specifier) => {
    expect(findings.get(key(from, specifier))).toEqual([]);
  });
});

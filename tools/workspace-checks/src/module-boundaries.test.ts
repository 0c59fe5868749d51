import { beforeAll, describe, expect, it } from 'vitest';
import { lintImports, type LintFinding } from './lint-import.ts';

const boundary = '@nx/enforce-module-boundaries';

// Each forbidden import is refused by the tag rules; where the reverse dependency already exists, Nx reports the
// import as the cycle it would close (checked before the tags), which refuses it just the same.
const TAG_RULE = /can only depend on libs tagged with/;
const CYCLE = /Circular dependency between/;
const forbidden: Array<[string, string, RegExp]> = [
  ['packages/synapse-admin', '@matrix-reset/k8s-ops', TAG_RULE],
  ['packages/synapse-admin', '@matrix-reset/user-creds', TAG_RULE],
  ['packages/k8s-ops', '@matrix-reset/user-creds', TAG_RULE],
  ['packages/user-creds', '@matrix-reset/synapse-admin', TAG_RULE],
  ['packages/secrets', '@matrix-reset/user-creds', TAG_RULE],
  ['apps/cli', '@matrix-reset/synapse-admin', TAG_RULE],
  ['apps/http', '@matrix-reset/cli', TAG_RULE],
  ['tools/bench', '@matrix-reset/http', TAG_RULE],
  ['packages/k8s-ops', '@matrix-reset/secrets', CYCLE],
  ['packages/synapse-admin', '@matrix-reset/reset-core', CYCLE],
  ['packages/reset-core', '@matrix-reset/cli', CYCLE],
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
    const all: Array<[string, string]> = [...forbidden.map(([from, specifier]): [string, string] => [from, specifier]), ...allowed];
    const results = await lintImports(all.map(([projectDir, specifier]) => ({ projectDir, specifier })));
    all.forEach(([from, specifier], i) => {
      findings.set(key(from, specifier), (results[i] ?? []).filter((f) => f.ruleId === boundary));
    });
  });

  it.each(forbidden)('%s may not import %s', (from, specifier, reason) => {
    const found = findings.get(key(from, specifier));
    expect(found).toHaveLength(1);
    expect(found?.[0]?.message).toMatch(reason);
  });

  it.each(allowed)('%s may import %s', (from, specifier) => {
    expect(findings.get(key(from, specifier))).toEqual([]);
  });
});

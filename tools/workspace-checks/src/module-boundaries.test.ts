import { describe, expect, it } from 'vitest';
import { lintImport } from './lint-import.ts';

const boundary = '@nx/enforce-module-boundaries';

async function boundaryFindings(projectDir: string, specifier: string) {
  return (await lintImport(projectDir, specifier)).filter((f) => f.ruleId === boundary);
}

describe('module boundaries', () => {
  const forbidden: Array<[string, string]> = [
    ['packages/synapse-admin', '@matrix-reset/k8s-ops'],
    ['packages/synapse-admin', '@matrix-reset/user-creds'],
    ['packages/k8s-ops', '@matrix-reset/secrets'],
    ['packages/user-creds', '@matrix-reset/synapse-admin'],
    ['packages/secrets', '@matrix-reset/user-creds'],
    ['packages/synapse-admin', '@matrix-reset/reset-core'],
    ['packages/reset-core', '@matrix-reset/cli'],
    ['apps/http', '@matrix-reset/cli'],
    ['apps/cli', '@matrix-reset/synapse-admin'],
    ['tools/bench', '@matrix-reset/http'],
  ];
  it.each(forbidden)('%s may not import %s', async (from, specifier) => {
    const findings = await boundaryFindings(from, specifier);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toMatch(/can only depend on libs tagged with/);
  });

  const allowed: Array<[string, string]> = [
    ['packages/secrets', '@matrix-reset/k8s-ops'],
    ['packages/reset-core', '@matrix-reset/synapse-admin'],
    ['packages/reset-core', '@matrix-reset/user-creds'],
    ['apps/cli', '@matrix-reset/reset-core'],
    ['apps/http', '@matrix-reset/reset-core'],
    ['tools/bench', '@matrix-reset/synapse-admin'],
  ];
  it.each(allowed)('%s may import %s', async (from, specifier) => {
    expect(await boundaryFindings(from, specifier)).toEqual([]);
  });
});

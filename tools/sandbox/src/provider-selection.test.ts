import { describe, expect, it } from 'vitest';
import { containerRuntimeReachable, selectProvider } from './provider-selection.ts';
import { SandboxError } from './sandbox-error.ts';

// These tests assert what happens on a machine without a Docker engine (like CI here); they are skipped when one
// answers, since the containers provider itself is not exercised by this suite.
const engine = await containerRuntimeReachable(3_000);

describe.skipIf(engine)('provider selection without a Docker engine', () => {
  it("'auto' picks the process provider", async () => {
    expect(await selectProvider('auto', { timeoutMs: 3_000 })).toBe('process');
  });

  it("'containers' fails with NO_CONTAINER_RUNTIME saying no Docker engine is reachable", async () => {
    const error = await selectProvider('containers', { timeoutMs: 3_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('NO_CONTAINER_RUNTIME');
    expect((error as SandboxError).message).toMatch(/no Docker engine is reachable/);
  });
});

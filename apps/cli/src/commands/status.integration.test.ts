import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { connectAppDatabase, loadResetConfig, openJournal, readPlanFile, resolveEnvironment } from '@matrix-reset/reset-core';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, sandboxConfig } from '../test-support/openmeet-database.ts';
import { runCli, uniqueName } from '../test-support/run-cli.ts';

interface StatusJson {
  environment: string;
  runs: { run: { id: string } }[];
  nextCursor: string | null;
}

/** An environment of its own with `count` journaled runs of one repair plan; returns their ids and the CLI's env. */
async function environmentWithRuns(count: number): Promise<{ name: string; env: Record<string, string>; runIds: string[] }> {
  const { schema } = await createOpenmeetTenant(uniqueName('sts'), 4);
  const name = uniqueName('pages');
  const { path } = await sandboxConfig(schema, { name });
  const planFile = join(dirname(path), 'pages.plan.json');
  const planned = await runCli(['plan', '--mode', 'repair', '--out', planFile, '--config', path]);
  expect(planned.code).toBe(0);
  const plan = await readPlanFile(planFile);
  const { checksum } = JSON.parse(await readFile(planFile, 'utf8')) as { checksum: string };
  const connection = await connectAppDatabase(resolveEnvironment(await loadResetConfig({ path }), name));
  const runIds: string[] = [];
  try {
    const journal = await openJournal(connection.db);
    for (let i = 0; i < count; i += 1) {
      const runId = uniqueName(`r${i}`);
      await journal.createRun({ runId, plan, planChecksum: checksum, holder: 'status-test' });
      runIds.push(runId);
    }
  } finally {
    await connection.close();
  }
  return { name, env: { MATRIX_RESET_CONFIG: path }, runIds };
}

describe('matrix-reset status pages through the runs', () => {
  it('--limit shows the newest page with its next cursor; --cursor reads the rest, and the last page has none', async () => {
    const { name, env, runIds } = await environmentWithRuns(3);
    const first = await runCli(['status', '--limit', '2', '--json'], { env });
    expect(first.code).toBe(0);
    const page1 = JSON.parse(first.stdout) as StatusJson;
    expect(page1.environment).toBe(name);
    expect(page1.runs).toHaveLength(2);
    expect(page1.nextCursor).toEqual(expect.any(String));

    const second = await runCli(['status', '--limit', '2', '--cursor', page1.nextCursor ?? '', '--json'], { env });
    expect(second.code).toBe(0);
    const page2 = JSON.parse(second.stdout) as StatusJson;
    expect(page2.runs).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    expect([...page1.runs, ...page2.runs].map((r) => r.run.id).sort()).toEqual([...runIds].sort());

    const text = await runCli(['status', '--limit', '2'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`More runs: matrix-reset status --env ${name} --cursor ${page1.nextCursor ?? ''}`);
    const last = await runCli(['status', '--limit', '2', '--cursor', page1.nextCursor ?? ''], { env });
    expect(last.stdout).not.toContain('More runs');
  });

  it('a cursor it did not hand out exits 2 and says to start from the first page', async () => {
    const { env } = await environmentWithRuns(1);
    const run = await runCli(['status', '--cursor', 'not-a-cursor'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('first page');
  });
});

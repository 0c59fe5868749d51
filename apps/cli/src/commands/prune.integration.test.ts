import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { createOpenmeetTenant, psql, sandboxConfig } from '../test-support/openmeet-database.ts';
import { leakedSecrets, runCli, uniqueName } from '../test-support/run-cli.ts';

describe('matrix-reset prune', () => {
  it('lists, then drops with --yes, the credential snapshots of runs older than --older-than; refuses an age it cannot read', async () => {
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('prn'), 3);
    const { path } = await sandboxConfig(schema);
    const planFile = join(dirname(path), 'sandbox.plan.json');
    const env = { MATRIX_RESET_CONFIG: path };
    expect((await runCli(['plan', '--mode', 'repair', '--out', planFile], { env })).code).toBe(0);
    const applied = await runCli(['apply', planFile, '--yes', '--json'], { env });
    expect(applied.code).toBe(0);
    const runId = (JSON.parse(applied.stdout) as { run: { id: string } }).run.id;
    const snapshots = async () => (await psql(`SELECT count(*) FROM matrix_reset.snapshot WHERE run_id = '${runId}'`)).trim();
    expect(await snapshots()).toBe('1');

    // A day old: a 30-day prune keeps it, a 12-hour one takes it.
    await psql(`UPDATE matrix_reset.run SET created_at = now() - interval '1 day' WHERE id = '${runId}'`);
    const young = await runCli(['prune', '--older-than', '30d', '--dry-run'], { env });
    expect(young.code).toBe(0);
    expect(young.stdout).toContain('no backups to drop');

    const dryRun = await runCli(['prune', '--older-than', '12h', '--dry-run'], { env });
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('would drop the backups of 1 run (dry run, nothing changed)');
    expect(dryRun.stdout).toContain(runId);
    expect(dryRun.stdout).toContain(`${schema} (`);
    expect(await snapshots()).toBe('1');

    const refused = await runCli(['prune', '--older-than', '12h'], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('confirmation');
    expect(await snapshots()).toBe('1');

    const pruned = await runCli(['prune', '--older-than', '12h', '--yes', '--json'], { env });
    expect(pruned.code).toBe(0);
    expect((JSON.parse(pruned.stdout) as { pruned: { runId: string }[] }).pruned.map((p) => p.runId)).toEqual([runId]);
    expect(await snapshots()).toBe('0');

    const badAge = await runCli(['prune', '--older-than', 'a month'], { env });
    expect(badAge.code).toBe(2);
    expect(badAge.stderr).toContain('is not an age');
    for (const run of [applied, young, dryRun, refused, pruned, badAge]) expect(leakedSecrets(run, tokens)).toEqual([]);
  });
});

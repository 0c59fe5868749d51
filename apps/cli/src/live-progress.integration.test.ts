import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, sandboxConfig } from './test-support/openmeet-database.ts';
import { runCliOnTty } from './test-support/run-cli-tty.ts';
import { runCli, uniqueName } from './test-support/run-cli.ts';

/** An environment of its own (a name no other test locks) with one tenant, and a repair plan of it. */
async function plannedRepair(): Promise<{ env: Record<string, string>; name: string; planFile: string; stepIds: string[] }> {
  const name = uniqueName('live');
  const { schema } = await createOpenmeetTenant(uniqueName('lpr'), 6);
  const { path } = await sandboxConfig(schema, { name });
  const planFile = join(dirname(path), 'live.plan.json');
  const env = { MATRIX_RESET_CONFIG: path };
  const plan = await runCli(['plan', '--mode', 'repair', '--out', planFile, '--json'], { env });
  expect(plan.code, plan.stderr).toBe(0);
  const { plan: body } = JSON.parse(plan.stdout) as { plan: { steps: { id: string }[] } };
  return { env, name, planFile, stepIds: body.steps.map((s) => s.id) };
}

describe('live progress', () => {
  it('on a terminal, apply draws its steps as a task list after the confirmation, each ticked with its time', async () => {
    const { env, name, planFile, stepIds } = await plannedRepair();
    const run = await runCliOnTty(['apply', planFile], { env, answer: name });
    expect(run.typed).toBe(true);
    expect(run.code).toBe(0);
    const screen = stripVTControlCharacters(run.output);
    const prompt = screen.indexOf('to continue:');
    for (const id of stepIds) {
      expect(screen.lastIndexOf(id)).toBeGreaterThan(prompt);
      expect(screen).toMatch(new RegExp(`✔ ${id} \\(\\d+(\\.\\d)? m?s\\) {2}\\S`));
    }
    expect(screen).toMatch(/Run r\S+ .*finished/);
  });

  it("on a terminal, doctor's count is a ticked line", async () => {
    const { env } = await plannedRepair();
    const run = await runCliOnTty(['doctor'], { env, answer: '' });
    expect(stripVTControlCharacters(run.output)).toMatch(/✔ doctor: 6\/6 checked/);
    expect(run.output).toContain('Recommendation: ');
  });

  it('without a terminal, the same apply writes plain lines on stderr and only the result on stdout', async () => {
    const { env, planFile, stepIds } = await plannedRepair();
    const run = await runCli(['apply', planFile, '--yes'], { env });
    expect(run.code).toBe(0);
    for (const id of stepIds) expect(run.stderr).toMatch(new RegExp(`^${id}: finished in \\d+ ms$`, 'm'));
    expect(run.stderr).not.toContain('✔');
    expect(run.stderr).not.toContain('\u001b[');
    expect(run.stdout).toMatch(/^Run r\S+ .*finished/);
    expect(run.stdout).not.toContain('finished in');
  });
});

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpenmeetTenant, databaseUrl, psql, sandboxConfig } from '../test-support/openmeet-database.ts';
import { startCli, type StartedCli } from '../test-support/run-cli-tty.ts';
import { leakedSecrets, runCli, uniqueName, type CliRun } from '../test-support/run-cli.ts';

/**
 * A psql session holding an ACCESS EXCLUSIVE lock on one table in an open transaction: whoever reads the table waits
 * until `release()` commits. Resolves once the lock is held.
 */
async function holdTableLock(table: string): Promise<{ release: () => Promise<void> }> {
  const session = spawn('psql', [databaseUrl(), '-v', 'ON_ERROR_STOP=1', '-qAt'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => session.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    session.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('held')) resolve();
    });
    session.on('close', (code) => reject(new Error(`psql exited (${code}) before the lock was held`)));
    session.stdin.write(`BEGIN;\nLOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE;\nSELECT 'held';\n`);
  });
  return {
    release: async () => {
      session.stdin.end('COMMIT;\n');
      await exited;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref())]);
}

describe('two concurrent matrix-reset apply processes on one plan', () => {
  it('runs exactly one: the other exits non-zero with locked, naming the holder, and the run finishes normally', async () => {
    const name = uniqueName('conc');
    const { schema, tokens } = await createOpenmeetTenant(uniqueName('cnc'), 6);
    const { path } = await sandboxConfig(schema, { name });
    const planFile = join(dirname(path), 'concurrent.plan.json');
    const env = { MATRIX_RESET_CONFIG: path };
    const plan = await runCli(['plan', '--mode', 'repair', '--out', planFile], { env });
    expect(plan.code, plan.stderr).toBe(0);

    // Whichever process takes the environment lock first then waits on the tenant's table (apply re-reads it under
    // the lock), so the two overlap for certain, whatever the start-up times.
    const lock = await holdTableLock(`"${schema}".users`);
    let applies: StartedCli[] = [];
    let first: { index: number; run: CliRun };
    try {
      applies = [0, 1].map(() => startCli(['apply', planFile, '--yes', '--json'], { env }));
      first = await withTimeout(Promise.race(applies.map((a, index) => a.done.then((run) => ({ index, run })))), 40_000, 'the refused apply');
    } finally {
      await lock.release();
    }
    const loser = first.run;
    const winner = applies[1 - first.index]!;
    const won = await withTimeout(winner.done, 40_000, 'the apply that holds the lock');

    expect(loser.code).toBe(1);
    const refusal = JSON.parse(loser.stdout) as { error: { code: string; message: string; nextSteps: string[] } };
    expect(refusal.error.code).toBe('locked');
    expect(refusal.error.message).toContain(`Environment ${name} is locked by "matrix-reset on `);
    expect(refusal.error.message).toContain(` pid ${winner.pid} start `);
    expect(refusal.error.nextSteps.join('\n')).toContain('matrix-reset status');

    expect(won.stderr).not.toContain('error[');
    expect(won.code).toBe(0);
    const result = JSON.parse(won.stdout) as { run: { id: string; state: string }; steps: { state: string }[] };
    expect(result.run.state).toBe('finished');
    expect(result.steps.every((s) => s.state === 'finished')).toBe(true);
    const runs = await psql(`SELECT id || ' ' || state FROM matrix_reset.run WHERE environment = '${name}'`);
    expect(runs.trim()).toBe(`${result.run.id} finished`);

    const secret = (await readFile(process.env.SYNAPSE_SHARED_SECRET_FILE ?? '', 'utf8')).trim();
    const adminToken = /^MATRIX_ADMIN_ACCESS_TOKEN=(.*)$/m.exec(await readFile(join(dirname(path), '.env'), 'utf8'))?.[1] ?? '';
    for (const run of [plan, loser, won]) expect(leakedSecrets(run, [...tokens, secret, adminToken])).toEqual([]);
  });
});

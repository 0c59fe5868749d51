import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { atomicWriteFile } from '@matrix-reset/secrets';
import { ResetError } from '../reset-error.ts';
import { freezePlan, planChecksum } from './plan-freeze.ts';
import { PLAN_VERSION, planSchema, type Plan } from './plan-model.ts';

const planFileSchema = z.strictObject({ plan: z.unknown(), checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/) });

/**
 * The plan file's text: `{ "plan": ..., "checksum": "sha256:..." }`, pretty-printed. It holds no secret value: the
 * plan only records versions, counts, checksums and references.
 *
 * @example
 * import { writeFile } from 'node:fs/promises';
 *
 * await writeFile('dev.plan.json', serializePlan(plan), { mode: 0o600 }); // or writePlanFile, which is atomic
 */
export function serializePlan(plan: Plan): string {
  return `${JSON.stringify({ plan, checksum: planChecksum(plan) }, null, 2)}\n`;
}

function refusedPlan(source: string, what: string): ResetError {
  return new ResetError('stale_plan', `${source} cannot be used: ${what}`, {
    nextSteps: ['Make a new plan (matrix-reset plan) and apply that one; plans are not meant to be edited.'],
  });
}

/**
 * Reads a plan file's text back: checks the format (zod) and the checksum, so a hand-edited plan is refused
 * (`stale_plan`). Returns the frozen plan.
 *
 * @example
 * import { readFile } from 'node:fs/promises';
 *
 * const checked = parsePlan(await readFile('dev.plan.json', 'utf8'), { source: 'dev.plan.json' });
 */
export function parsePlan(text: string, options: { source?: string } = {}): Plan {
  const source = options.source ?? 'the plan';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw refusedPlan(source, `it is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const file = planFileSchema.safeParse(json);
  if (!file.success) throw refusedPlan(source, `it is not a matrix-reset plan file: ${z.prettifyError(file.error)}`);
  const version = (file.data.plan as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== PLAN_VERSION) {
    throw new ResetError('stale_plan', `${source} cannot be used: it was made by ${version < PLAN_VERSION ? 'an earlier' : 'a later'} matrix-reset (plan format ${version}; this one reads format ${PLAN_VERSION})`, {
      nextSteps: [
        'Make a new plan (matrix-reset plan) with this matrix-reset and apply that one.',
        'A run of that plan already under way is resumed or rolled back with the matrix-reset version that made it.',
      ],
    });
  }
  const plan = planSchema.safeParse(file.data.plan);
  if (!plan.success) throw refusedPlan(source, `its plan is malformed: ${z.prettifyError(plan.error)}`);
  const value = plan.data as Plan;
  if (planChecksum(value) !== file.data.checksum) throw refusedPlan(source, 'its checksum does not match its content (it was edited after it was made)');
  return freezePlan(value);
}

/**
 * Writes a plan file atomically, mode 0600: a temporary file in the same directory, fsynced, renamed over the target
 * (the directory fsynced too), removed when anything fails.
 *
 * @example
 * await writePlanFile('dev.plan.json', plan);
 */
export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  await atomicWriteFile(path, serializePlan(plan), 0o600);
}

/**
 * Reads and checks a plan file (see {@link parsePlan}).
 *
 * @example
 * const plan = await readPlanFile('dev.plan.json');
 */
export async function readPlanFile(path: string): Promise<Plan> {
  return parsePlan(await readFile(path, 'utf8'), { source: path });
}

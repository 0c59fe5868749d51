import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { ResetError } from '../reset-error.ts';

/** The plan file format this code writes and reads. */
export const PLAN_VERSION = 1;

/** What a plan does: mint new tokens for users the server still has, or wipe Synapse and clear the app's credentials. */
export type PlanMode = 'repair' | 'full-reset';

/** Every kind of step a plan can hold, in the order the runbook needs them. */
export const STEP_KINDS = [
  'snapshot-credentials',
  'reprovision-existing-users',
  'clear-missing-users',
  'backup-secrets',
  'volume-snapshot',
  'scale-down',
  'delete-pvc',
  'scale-up',
  'bootstrap-admin',
  'write-admin-token',
  'restart-workloads',
  'clear-credentials',
  'verify',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * The state a plan depends on, as it was when it was made: versions, counts and checksums, never a value. Apply
 * reads the same things again and refuses the plan when any differs.
 */
export interface PlanObserved {
  readonly synapse: { readonly serverVersion: string; readonly authMode: string };
  readonly storage: { readonly engine: string; readonly pvcDeletionWipesUsers: boolean | 'unknown' };
  readonly kubernetes:
    | {
        readonly namespace: string;
        readonly statefulSet: { readonly name: string; readonly resourceVersion: string; readonly replicas: number };
        readonly pvc: { readonly name: string | undefined; readonly exists: boolean; readonly resourceVersion: string | undefined };
        readonly volumeSnapshotsSupported: boolean;
        readonly restart: readonly { readonly kind: string; readonly name: string; readonly resourceVersion: string | undefined }[];
      }
    | undefined;
  readonly secrets: readonly { readonly role: string; readonly reference: string; readonly exists: boolean; readonly version: string | undefined }[];
  readonly appDatabase: {
    readonly layout: string;
    readonly schemas: readonly { readonly schema: string; readonly rows: number; readonly withCredentials: number; readonly checksum: string | undefined }[];
  };
}

/** One step: what it does, what it relies on, whether (and how) it can be undone. */
export interface PlanStep {
  /** Unique in the plan, stable: the journal keys on it (`01-snapshot-credentials`). */
  readonly id: string;
  readonly kind: StepKind;
  readonly description: string;
  /** The facts this step relies on (counts, names, versions), for the reader. */
  readonly observed: Readonly<Record<string, string | number | boolean | null>>;
  readonly undoable: boolean;
  readonly undo?: string;
}

/** A frozen, secret-free reset plan. */
export interface Plan {
  readonly version: typeof PLAN_VERSION;
  readonly id: string;
  readonly environment: string;
  readonly mode: PlanMode;
  readonly createdAt: string;
  /** Why this mode (the doctor's reason, or the operator's choice). */
  readonly reason: string;
  readonly warnings: readonly string[];
  readonly observed: PlanObserved;
  readonly steps: readonly PlanStep[];
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const optionalString = z.string().optional();

const observedSchema = z.strictObject({
  synapse: z.strictObject({ serverVersion: z.string(), authMode: z.string() }),
  storage: z.strictObject({ engine: z.string(), pvcDeletionWipesUsers: z.union([z.boolean(), z.literal('unknown')]) }),
  kubernetes: z
    .strictObject({
      namespace: z.string(),
      statefulSet: z.strictObject({ name: z.string(), resourceVersion: z.string(), replicas: z.number().int() }),
      pvc: z.strictObject({ name: optionalString, exists: z.boolean(), resourceVersion: optionalString }),
      volumeSnapshotsSupported: z.boolean(),
      restart: z.array(z.strictObject({ kind: z.string(), name: z.string(), resourceVersion: optionalString })),
    })
    .optional(),
  secrets: z.array(z.strictObject({ role: z.string(), reference: z.string(), exists: z.boolean(), version: optionalString })),
  appDatabase: z.strictObject({
    layout: z.string(),
    schemas: z.array(z.strictObject({ schema: z.string(), rows: z.number().int(), withCredentials: z.number().int(), checksum: optionalString })),
  }),
});

const stepSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  kind: z.enum(STEP_KINDS),
  description: z.string(),
  observed: z.record(z.string(), scalar),
  undoable: z.boolean(),
  undo: z.string().optional(),
});

const planSchema = z.strictObject({
  version: z.literal(PLAN_VERSION),
  id: z.string().regex(/^p[a-z0-9_]+$/),
  environment: z.string().min(1),
  mode: z.enum(['repair', 'full-reset']),
  createdAt: z.iso.datetime(),
  reason: z.string(),
  warnings: z.array(z.string()),
  observed: observedSchema,
  steps: z.array(stepSchema),
});

const planFileSchema = z.strictObject({ plan: z.unknown(), checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/) });

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** JSON with object keys sorted and `undefined` members left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
}

/**
 * The plan's checksum: `sha256:` + the hex digest of its canonical JSON. Any edit changes it.
 *
 * @example
 * const sum = planChecksum(plan); // 'sha256:9f86d0...'
 */
export function planChecksum(plan: Plan): string {
  return `sha256:${createHash('sha256').update(canonicalJson(plan)).digest('hex')}`;
}

/**
 * A fresh plan id: `p` + UTC timestamp + 8 random hex digits (4 random bytes, as run ids), so two plans made in
 * the same second by several operators or service instances do not collide.
 *
 * @example
 * newPlanId(); // 'p20260101t120000_3fa9c2d1'
 */
export function newPlanId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase();
  return `p${stamp}_${randomBytes(4).toString('hex')}`;
}

/**
 * Freezes a plan after checking its shape (step ids unique). Use it for every plan you build by hand.
 *
 * @example
 * const plan = freezePlan({ version: PLAN_VERSION, id: newPlanId(), environment: 'dev', mode: 'repair', ... });
 */
export function freezePlan(plan: Plan): Plan {
  const parsed = planSchema.safeParse(JSON.parse(JSON.stringify(plan)));
  if (!parsed.success) throw new Error(`invalid plan: ${z.prettifyError(parsed.error)}`);
  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) throw new Error(`invalid plan: step id ${step.id} appears twice`);
    ids.add(step.id);
  }
  return deepFreeze(structuredClone(plan));
}

/**
 * The plan file's text: `{ "plan": ..., "checksum": "sha256:..." }`, pretty-printed. It holds no secret value: the
 * plan only records versions, counts, checksums and references.
 *
 * @example
 * await writeFile('dev.plan.json', serializePlan(plan), { mode: 0o600 });
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
 * const plan = parsePlan(await readFile('dev.plan.json', 'utf8'), { source: 'dev.plan.json' });
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
  const plan = planSchema.safeParse(file.data.plan);
  if (!plan.success) throw refusedPlan(source, `its plan is malformed: ${z.prettifyError(plan.error)}`);
  const value = plan.data as Plan;
  if (planChecksum(value) !== file.data.checksum) throw refusedPlan(source, 'its checksum does not match its content (it was edited after it was made)');
  return freezePlan(value);
}

/**
 * Writes a plan file atomically (a temporary file renamed over the target), mode 0600.
 *
 * @example
 * await writePlanFile('dev.plan.json', plan);
 */
export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, serializePlan(plan), { mode: 0o600 });
  await rename(temporary, path);
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

/** One difference between what a plan observed and what is there now. */
export interface ObservedChange {
  readonly path: string;
  readonly planned: string;
  readonly now: string;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value === null || value === undefined || typeof value !== 'object') {
    out.set(prefix, value === undefined ? '(absent)' : JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    // Keyed lists (by schema, reference, name) compare by key, so a reordering is no change.
    for (const [index, item] of value.entries()) {
      const record = item as Record<string, unknown> | null;
      const key = record?.['schema'] ?? (record?.['reference'] !== undefined ? `${String(record['role'])}:${String(record['reference'])}` : undefined) ?? record?.['name'] ?? index;
      flatten(item, `${prefix}[${String(key)}]`, out);
    }
    if (value.length === 0) out.set(`${prefix}[]`, 'empty');
    return;
  }
  for (const [key, inner] of Object.entries(value)) flatten(inner, prefix === '' ? key : `${prefix}.${key}`, out);
}

/**
 * What changed between two observed states, field by field (`appDatabase.schemas[tenant_a].checksum`).
 *
 * @example
 * const changes = diffObserved(plan.observed, now); // [] when the plan still holds
 */
export function diffObserved(planned: PlanObserved, now: PlanObserved): ObservedChange[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(planned, '', a);
  flatten(now, '', b);
  const changes: ObservedChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(path) ?? '(absent)';
    const is = b.get(path) ?? '(absent)';
    if (was !== is) changes.push({ path, planned: was, now: is });
  }
  return changes.sort((x, y) => (x.path < y.path ? -1 : 1));
}

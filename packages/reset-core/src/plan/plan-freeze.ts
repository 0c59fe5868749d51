import { createHash } from 'node:crypto';
import { z } from 'zod';
import { deepFreeze } from '../support/deep-freeze.ts';
import { planSchema, type Plan } from './plan-model.ts';

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
 * Freezes a plan after checking its shape (step ids unique). Use it for every plan you build by hand.
 *
 * @example
 * const frozen = freezePlan({ ...plan, id: newPlanId(), reason: 'chosen by hand', steps: plan.steps.filter((s) => s.kind !== 'verify') });
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

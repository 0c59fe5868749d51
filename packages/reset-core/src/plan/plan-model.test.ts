import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan } from './plan-build.ts';
import { planObserved } from './plan-freshness.ts';
import { canonicalJson } from './plan-freeze.ts';
import { diffObserved } from './plan-freshness.ts';
import { newPlanId } from '../support/ids.ts';
import { parsePlan, readPlanFile, serializePlan, writePlanFile } from './plan-file.ts';
import { isResetError } from '../reset-error.ts';
import { fakeDoctorReport, fakeEnvironment, fakeObservation } from '../test-support/plan-fixtures.ts';

const plan = buildPlan(fakeEnvironment(), fakeObservation(), fakeDoctorReport({ missing_user: 8 }), { now: new Date('2026-01-01T00:00:00Z'), id: 'p20260101t000000_0001' });

describe('plan files', () => {
  it('round-trips a plan through its file', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'plan-model-')), 'dev.plan.json');
    await writePlanFile(path, plan);
    expect(await readPlanFile(path)).toEqual(plan);
  });

  it('refuses a hand-edited plan (checksum mismatch)', () => {
    const file = JSON.parse(serializePlan(plan)) as { plan: { steps: { description: string }[] } };
    file.plan.steps[0]!.description = 'something else';
    let error: unknown;
    try {
      parsePlan(JSON.stringify(file));
    } catch (caught) {
      error = caught;
    }
    expect(isResetError(error, 'stale_plan')).toBe(true);
    expect((error as Error).message).toContain('checksum');
  });

  it('refuses a file that is not a plan', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'plan-model-')), 'x.json');
    await writeFile(path, '{"plan": {"version": 2}, "checksum": "sha256:00"}');
    await expect(readPlanFile(path)).rejects.toMatchObject({ code: 'stale_plan' });
  });

  it('refuses a plan of the earlier format (a StatefulSet only, no workload kind) as stale, saying to make a new one', () => {
    const file = JSON.parse(serializePlan(plan)) as { plan: Record<string, unknown> & { observed: { kubernetes: Record<string, unknown> } }; checksum: string };
    const { workload, workers: _workers, ...kubernetes } = file.plan.observed.kubernetes;
    const old = { ...file.plan, version: 1, observed: { ...file.plan.observed, kubernetes: { ...kubernetes, statefulSet: workload } } };
    let error: unknown;
    try {
      parsePlan(JSON.stringify({ plan: old, checksum: file.checksum }), { source: 'old.plan.json' });
    } catch (caught) {
      error = caught;
    }
    expect(isResetError(error, 'stale_plan')).toBe(true);
    expect((error as Error).message).toBe('old.plan.json cannot be used: it was made by an earlier matrix-reset (plan format 1; this one reads format 2)');
    expect((error as { nextSteps: string[] }).nextSteps[0]).toContain('Make a new plan');
  });

  it('writes the file with mode 0600', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'plan-model-')), 'dev.plan.json');
    await writePlanFile(path, plan);
    const { stat } = await import('node:fs/promises');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toContain('"checksum": "sha256:');
  });
});

describe('newPlanId', () => {
  it('carries the UTC second and 4 random bytes, and builds a plan the schema accepts', () => {
    const now = new Date('2026-03-04T05:06:07.890Z');
    const ids = Array.from({ length: 50 }, () => newPlanId(now));
    for (const id of ids) expect(id).toMatch(/^p20260304t050607_[0-9a-f]{8}$/);
    expect(new Set(ids.map((id) => id.slice(-8))).size).toBeGreaterThan(1);
    const built = buildPlan(fakeEnvironment(), fakeObservation(), fakeDoctorReport({ missing_user: 1 }), { now, id: ids[0]! });
    expect(parsePlan(serializePlan(built)).id).toBe(ids[0]);
  });
});

describe('diffObserved', () => {
  it('lists nothing for the same state and each changed field otherwise', () => {
    const a = planObserved(fakeObservation(), { tenant_a: '8:abc' });
    expect(diffObserved(a, a)).toEqual([]);
    const b = planObserved(fakeObservation(), { tenant_a: '9:def' });
    expect(diffObserved(a, b)).toEqual([{ path: 'appDatabase.schemas[tenant_a].checksum', planned: '"8:abc"', now: '"9:def"' }]);
  });

  it('names a worker whose replicas changed, by its name', () => {
    const base = fakeObservation();
    const worker = { kind: 'Deployment' as const, name: 'matrix-synapse-worker', uid: 'w1', resourceVersion: '9', generation: 1, replicas: 2, readyReplicas: 2, selector: 'c=w' };
    const withWorker = (replicas: number) => ({ ...base, kubernetes: { ...base.kubernetes!, workers: [{ ...worker, replicas }] } });
    expect(diffObserved(planObserved(withWorker(2)), planObserved(withWorker(3)))).toEqual([{ path: 'kubernetes.workers[matrix-synapse-worker].replicas', planned: '2', now: '3' }]);
    expect(diffObserved(planObserved(base), planObserved(withWorker(2))).map((c) => c.path)).toContain('kubernetes.workers[matrix-synapse-worker].name');
  });

  it('sorts keys in canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});

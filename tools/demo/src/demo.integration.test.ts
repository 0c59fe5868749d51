import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoSummary } from './demo.ts';

// The whole demo, end to end: its own sandbox with kube-sim's openmeet-dev scenario, stopped afterwards.
let summary: DemoSummary;
const progress: string[] = [];

beforeAll(async () => {
  summary = await runDemo({ stateDir: join(mkdtempSync(join(tmpdir(), 'mr-demo-')), 'sandbox'), onProgress: (m) => progress.push(m) });
}, 240_000);

describe('matrix-reset demo', () => {
  it('seeds three tenants with users of the pod Synapse', () => {
    expect(summary.seeded).toMatchObject({ tenants: ['tenant_alpha', 'tenant_beta', 'tenant_gamma'], users: 9, admin: '@admin:matrix-local.openmeet.test' });
  });

  it('after the wipe, the doctor cannot check any credential with the dead admin token, and a full reset is applied', () => {
    const [wipe] = summary.scenarios;
    expect(wipe!.doctorBefore).toMatchObject({ adminToken: 'invalid', examined: 9 });
    expect(wipe!.plan).toMatchObject({ mode: 'full-reset' });
    expect(wipe!.run.state).toBe('finished');
    expect(wipe!.run.steps.map((s) => s.state).every((s) => s === 'finished')).toBe(true);
  });

  it('the full reset passes verify and replaces the Synapse claim', () => {
    const [wipe] = summary.scenarios;
    expect(wipe!.verify?.ok).toBe(true);
    expect(wipe!.pvcUid.after).not.toBe(wipe!.pvcUid.before);
    expect(wipe!.doctorAfter.action).toBe('nothing');
  });

  it('a few logged-out tokens are repaired without wiping anything', () => {
    const [, logout] = summary.scenarios;
    expect(logout!.doctorBefore.action).toBe('repair');
    expect(logout!.doctorBefore.totals.unknown_token).toBe(2);
    expect(logout!.plan.mode).toBe('repair');
    expect(logout!.run.state).toBe('finished');
    expect(logout!.pvcUid.after).toBe(logout!.pvcUid.before);
    expect(logout!.doctorAfter.action).toBe('nothing');
    expect(logout!.doctorAfter.totals.unknown_token).toBe(0);
  });

  it('stops the sandbox and says so on the progress stream', () => {
    expect(summary.kept).toBe(false);
    expect(progress).toContain('== Stopping the sandbox');
  });
});

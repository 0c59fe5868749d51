import { describe, expect, it } from 'vitest';
import type { DemoScenario, DemoSummary } from './demo.ts';
import { renderDemoSummary } from './demo-summary-text.ts';

const doctorSummary = { action: 'nothing', reason: 'every credential is valid', adminToken: 'valid', examined: 9, totals: { valid: 9, unknown_token: 0 } } as unknown as DemoScenario['doctorBefore'];

function scenario(overrides: Partial<DemoScenario> = {}): DemoScenario {
  return {
    title: 'Synapse volume wiped',
    incident: 'deleted PVC data-matrix-0',
    doctorBefore: { ...doctorSummary, action: 'inconclusive', adminToken: 'invalid', totals: { valid: 0, unknown_token: 0, unchecked: 9 } as unknown as DemoScenario['doctorBefore']['totals'] },
    plan: { id: 'plan-1', mode: 'full-reset', chosenBy: 'operator', steps: ['snapshot-credentials', 'delete-pvc'] },
    run: { id: 'run-1', state: 'finished', ms: 14_250, steps: [{ kind: 'snapshot-credentials', state: 'finished', ms: 35, detail: {} }, { kind: 'delete-pvc', state: 'finished', ms: 12_004, detail: {} }] },
    verify: { ok: true, checks: [{ name: 'admin-token', status: 'pass', ms: 4 }] },
    doctorAfter: doctorSummary,
    pvcUid: { before: 'uid-a', after: 'uid-b' },
    synapseDatabase: undefined,
    ...overrides,
  };
}

function summary(overrides: Partial<DemoSummary> = {}): DemoSummary {
  return {
    shape: 'sqlite',
    stateDir: '/tmp/demo',
    configFile: '/tmp/demo/matrix-reset.yaml',
    seeded: { tenants: ['tenant_alpha', 'tenant_beta'], users: 6, admin: '@admin:matrix-local.openmeet.test' },
    reprovisioned: 6,
    scenarios: [scenario()],
    kept: false,
    explore: ['kubectl -n openmeet-dev get pods'],
    durationMs: 21_600,
    ...overrides,
  };
}

const lines = (text: string) => text.split('\n');

describe('renderDemoSummary', () => {
  it('opens with what was seeded and where the config is', () => {
    expect(lines(renderDemoSummary(summary()))[0]).toBe('matrix-reset demo: 6 app users in tenant_alpha, tenant_beta; admin @admin:matrix-local.openmeet.test; config /tmp/demo/matrix-reset.yaml');
  });

  it('tables the steps with their timings right-aligned, thousands grouped', () => {
    const text = renderDemoSummary(summary());
    expect(text).toContain(['STEP                  STATE         MS', '--------------------  --------  ------', 'snapshot-credentials  finished      35', 'delete-pvc            finished  12,004', ''].join('\n'));
  });

  it('shows a step without a timing as "-" and then aligns the column left', () => {
    const steps = [{ kind: 'restart', state: 'failed', ms: undefined, detail: {} }, { kind: 'verify', state: 'finished', ms: 7, detail: {} }];
    const text = renderDemoSummary(summary({ scenarios: [scenario({ run: { id: 'run-2', state: 'failed', ms: 9, steps } })] }));
    expect(text).toContain(['STEP     STATE     MS', '-------  --------  --', 'restart  failed    -', 'verify   finished  7', ''].join('\n'));
  });

  it('says when the operator chose the plan, counts only non-zero classes and tells a replaced claim', () => {
    const text = lines(renderDemoSummary(summary()));
    expect(text).toContain('   plan:          full-reset (the doctor could not tell; chosen as an operator would), 2 steps');
    expect(text).toContain('   doctor before: inconclusive (admin token invalid; 9 examined: unchecked 9)');
    expect(text).toContain('   doctor after:  nothing (9 examined: valid 9)');
    expect(text).toContain('   apply:         run run-1 finished in 14250 ms');
    expect(text).toContain('   verify:        every check passed (admin-token pass)');
    expect(text).toContain('   Synapse PVC:   replaced (uid uid-a -> uid-b)');
  });

  it('a scenario without verify prints no verify line; an unchanged claim says so', () => {
    const text = lines(renderDemoSummary(summary({ scenarios: [scenario({ verify: undefined, plan: { id: 'p', mode: 'repair', chosenBy: 'doctor', steps: ['reprovision'] }, pvcUid: { before: 'uid-a', after: 'uid-a' } })] })));
    expect(text.some((line) => line.includes('verify:'))).toBe(false);
    expect(text).toContain('   plan:          repair, 1 steps');
    expect(text).toContain('   Synapse PVC:   unchanged (uid uid-a)');
  });

  it('on Postgres says the shape, and that the old database was renamed to its backup and a fresh one made', () => {
    const reset = scenario({ synapseDatabase: { name: 'ks_1a2b_synapse', backup: 'ks_1a2b_synapse__mr_run1', created: true, onServer: ['ks_1a2b_synapse', 'ks_1a2b_synapse__mr_run1'] } });
    const text = lines(renderDemoSummary(summary({ shape: 'postgres', scenarios: [reset] })));
    expect(text[0]).toMatch(/^matrix-reset demo \(--shape postgres\): 6 app users/);
    expect(text).toContain('   Synapse DB:    ks_1a2b_synapse renamed to ks_1a2b_synapse__mr_run1 (kept: rollback swaps it back, prune drops it); a fresh, empty ks_1a2b_synapse made for Synapse to start on');
  });

  it('a scenario that left the database alone says so; on SQLite there is no database line', () => {
    const repair = scenario({ synapseDatabase: { name: 'ks_1a2b_synapse', backup: undefined, created: false, onServer: ['ks_1a2b_synapse'] } });
    expect(lines(renderDemoSummary(summary({ shape: 'postgres', scenarios: [repair] })))).toContain('   Synapse DB:    unchanged (ks_1a2b_synapse)');
    expect(renderDemoSummary(summary())).not.toContain('Synapse DB:');
  });

  it('closes with the total and how to explore, which depends on --keep', () => {
    expect(renderDemoSummary(summary())).toMatch(/Between the scenarios the app provisioned 6 users again\. Total 22 s\.\n\nThe sandbox was stopped\. With --keep, explore it with:\n {2}kubectl -n openmeet-dev get pods\n$/);
    expect(renderDemoSummary(summary({ kept: true }))).toContain('The sandbox is still running. To explore:\n  kubectl');
  });
});

import { describe, expect, it } from 'vitest';
import { buildPlan } from './plan-build.ts';
import { isResetError } from '../reset-error.ts';
import { fakeDoctorReport, fakeEnvironment, fakeObservation } from '../test-support/plan-fixtures.ts';

const env = fakeEnvironment();

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('buildPlan', () => {
  it('picks repair when the doctor says the server still has the users', () => {
    const plan = buildPlan(env, fakeObservation(), fakeDoctorReport({ valid: 5, unknown_token: 3 }));
    expect(plan.mode).toBe('repair');
    expect(plan.steps.map((s) => s.id)).toEqual(['01-snapshot-credentials', '02-reprovision-existing-users', '03-clear-missing-users', '04-verify']);
  });

  it('restores the admin when nothing stored is broken but the admin token is dead or missing, touching nothing else', () => {
    for (const adminToken of ['invalid', 'absent'] as const) {
      for (const counts of [{}, { valid: 4 }]) {
        const report = fakeDoctorReport(counts, adminToken);
        expect(report.recommendation.action).toBe('restore-admin');
        const plan = buildPlan(env, fakeObservation(), report);
        expect(plan.mode).toBe('restore-admin');
        expect(plan.steps.map((s) => s.kind)).toEqual(['backup-secrets', 'bootstrap-admin', 'write-admin-token', 'restart-workloads', 'verify']);
      }
    }
  });

  it('says "nothing" only when the admin token works too', () => {
    expect(fakeDoctorReport({}, 'valid').recommendation.action).toBe('nothing');
    expect(fakeDoctorReport({ valid: 3 }, 'valid').recommendation.action).toBe('nothing');
  });

  it('picks full-reset when the server was wiped, with the runbook steps in the safe order', () => {
    const plan = buildPlan(env, fakeObservation(), fakeDoctorReport({ missing_user: 8 }));
    expect(plan.mode).toBe('full-reset');
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'snapshot-credentials',
      'backup-secrets',
      'scale-down',
      'volume-snapshot',
      'delete-pvc',
      'scale-up',
      'bootstrap-admin',
      'write-admin-token',
      'restart-workloads',
      'clear-credentials',
      'verify',
    ]);
  });

  it('leaves out the VolumeSnapshot when the cluster has no snapshot support', () => {
    const observation = fakeObservation();
    const noSnapshots = { ...observation, kubernetes: { ...observation.kubernetes!, volumeSnapshotsSupported: false } };
    const plan = buildPlan(env, noSnapshots, fakeDoctorReport({}), { mode: 'full-reset' });
    expect(plan.steps.map((s) => s.kind)).not.toContain('volume-snapshot');
  });

  it('plans a full reset when the operator forces it, and says so', () => {
    const plan = buildPlan(env, fakeObservation(), fakeDoctorReport({ unknown_token: 2 }), { mode: 'full-reset' });
    expect(plan.mode).toBe('full-reset');
    expect(plan.reason).toContain('chosen by the operator');
  });

  it('refuses delegated auth with what to do instead', () => {
    const error = refusal(() => buildPlan(env, fakeObservation({ authMode: 'delegated' }), fakeDoctorReport({ unknown_token: 2 })));
    expect(isResetError(error, 'delegated_auth')).toBe(true);
    expect((error as { nextSteps: string[] }).nextSteps.join(' ')).toContain('mas-cli');
  });

  it("refuses a full reset of a Postgres-backed Synapse whose database it cannot reach, naming synapse.database; allowExternalDatabase plans the claim part only", () => {
    const error = refusal(() => buildPlan(env, fakeObservation({ engine: 'psycopg2' }), fakeDoctorReport({ missing_user: 8 })));
    expect(isResetError(error, 'environment_incapable')).toBe(true);
    expect((error as Error).message).toContain("resets Synapse's Postgres database, and matrix-reset cannot reach it");
    expect((error as { nextSteps: string[] }).nextSteps.join(' ')).toContain('synapse.database');

    const plan = buildPlan(env, fakeObservation({ engine: 'psycopg2' }), fakeDoctorReport({ missing_user: 8 }), { allowExternalDatabase: true });
    expect(plan.warnings.join(' ')).toContain('leaves that database alone');
    expect(plan.steps.map((s) => s.kind)).toContain('delete-pvc');
    expect(plan.steps.map((s) => s.kind)).not.toContain('backup-synapse-database');
  });

  it('refuses a full reset of an environment without Kubernetes', () => {
    const error = refusal(() => buildPlan({ ...env, kubernetes: undefined }, fakeObservation({ kubernetes: false }), fakeDoctorReport({ missing_user: 8 })));
    expect(isResetError(error, 'environment_incapable')).toBe(true);
  });

  it('refuses a repair when the admin token does not work', () => {
    const error = refusal(() => buildPlan(env, fakeObservation(), fakeDoctorReport({ valid: 3, unknown_token: 2 }, 'invalid')));
    expect(isResetError(error, 'unsupported')).toBe(true);
    expect((error as Error).message).toContain('admin token');
    expect((error as { nextSteps: string[] }).nextSteps.join(' ')).toContain('--mode restore-admin');
  });

  it('makes an empty repair plan when the doctor finds nothing to do', () => {
    const plan = buildPlan(env, fakeObservation(), fakeDoctorReport({ valid: 8 }));
    expect(plan.steps).toEqual([]);
  });

  it('refuses to guess when the doctor was inconclusive', () => {
    const error = refusal(() => buildPlan(env, fakeObservation(), fakeDoctorReport({ unchecked: 8 })));
    expect(isResetError(error, 'unsupported')).toBe(true);
  });

  it('records what the plan depends on: the workload\'s generation, the PVC\'s resourceVersion, secret versions, row counts and checksums', () => {
    const plan = buildPlan(env, fakeObservation(), fakeDoctorReport({ unknown_token: 2 }), { checksums: { tenant_a: '8:abc' } });
    expect(plan.observed.kubernetes?.workload).toEqual({ kind: 'StatefulSet', name: 'matrix', generation: 1, replicas: 1 });
    expect(plan.observed.kubernetes?.workers).toEqual([]);
    expect(plan.observed.kubernetes?.pvc.resourceVersion).toBe('55');
    expect(plan.observed.secrets.find((s) => s.role === 'admin-token')?.version).toBe('4');
    expect(plan.observed.appDatabase.schemas).toEqual([{ schema: 'tenant_a', rows: 10, withCredentials: 8, checksum: '8:abc' }]);
    expect(Object.isFrozen(plan.steps[0])).toBe(true);
  });
});

import { readKey } from '@matrix-reset/k8s-ops';
import { createSynapseClient, isSynapseClientError } from '@matrix-reset/synapse-admin';
import { createUserCreds } from '@matrix-reset/user-creds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../run/apply.ts';
import { resumeRun } from '../run/resume.ts';
import { runStatus } from '../run/status.ts';
import { type RunResult } from '../run/run-steps.ts';
import { doctor } from '../doctor/doctor.ts';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import { buildPlan } from '../plan/plan-build.ts';
import { observePlanState } from '../plan/plan-freshness.ts';
import type { Plan } from '../plan/plan-model.ts';
import { isResetError } from '../reset-error.ts';
import { storedRow } from '../test-support/ensure-fixtures.ts';
import { plantFullResetSandbox, type FullResetSandbox } from '../test-support/plan-full-reset-sandbox.ts';

// One full reset of a real Synapse pod in kube-sim, crashed right after the claim was deleted and resumed.
let sandbox: FullResetSandbox;
let connection: EnvironmentConnection;
let plan: Plan;
let apiPodsBefore: string[];
let result: RunResult;
let crashError: unknown;

async function tokenState(baseUrl: string, token: string): Promise<string> {
  try {
    return (await createSynapseClient({ baseUrl }).withAccessToken(token).whoami()).userId;
  } catch (error) {
    if (isSynapseClientError(error, 'unknown_token')) return 'M_UNKNOWN_TOKEN';
    throw error;
  }
}

beforeAll(async () => {
  sandbox = await plantFullResetSandbox();
  connection = await sandbox.connect();
  const env = connection.environment;
  const { observation, observed } = await observePlanState(env, connection);
  const checksums = Object.fromEntries(observed.appDatabase.schemas.map((s) => [s.schema, s.checksum ?? '']));
  plan = buildPlan(env, observation, await doctor(env, connection), { mode: 'full-reset', checksums });
  apiPodsBefore = await sandbox.apiPodNames();
  const deletePosition = plan.steps.findIndex((s) => s.kind === 'delete-pvc');
  crashError = await applyPlan(plan, connection, {
    confirm: async () => undefined,
    onStep: (event) => {
      if (event.phase === 'after' && event.position === deletePosition) throw new Error('injected crash');
    },
  }).catch((caught: unknown) => caught);
  const [stopped] = await runStatus(connection.db, { environment: env.name });
  result = await resumeRun(stopped!.run.id, connection);
}, 240_000);

afterAll(async () => {
  await connection?.close();
  await sandbox?.kube.core.deleteNamespace({ name: sandbox.namespace }).catch(() => undefined);
});

describe('a full reset against kube-sim and the sandbox', () => {
  it('plans every full-reset step, with a volume snapshot taken once the pod is gone', () => {
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

  it('finishes after a crash following delete-pvc, by resuming', () => {
    expect((crashError as Error).message).toBe('injected crash');
    expect(result.run.state).toBe('finished');
    expect(result.steps.every((s) => s.state === 'finished')).toBe(true);
  });

  it('wiped the claim: every token the old Synapse issued answers M_UNKNOWN_TOKEN', async () => {
    const states = await sandbox.withSynapse((url) => Promise.all(sandbox.oldTokens.map((t) => tokenState(url, t))));
    expect(states).toEqual(sandbox.oldTokens.map(() => 'M_UNKNOWN_TOKEN'));
  });

  it('stores a working admin token in SSM and, through External Secrets, in the API Secret', async () => {
    const stored = (await connection.openSecretStore(sandbox.references.ssmToken).read()).value!.reveal();
    const inSecret = await readKey(sandbox.kube, { kind: 'Secret', namespace: sandbox.namespace, name: 'api-secrets', key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
    expect(inSecret.value).toBe(stored);
    expect(await sandbox.withSynapse((url) => tokenState(url, stored))).toBe(connection.environment.synapse.adminUserId);
  });

  it('restarted the API (a new pod)', async () => {
    const after = await sandbox.apiPodNames();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(apiPodsBefore);
  });

  it('cleared the app credentials and kept the snapshot', async () => {
    for (const key of sandbox.keys) expect(await storedRow(connection.db, sandbox.schema, key)).toEqual({ userId: null, accessToken: null, deviceId: null });
    const snapshots = await createUserCreds({ db: connection.db, layout: connection.environment.appDatabase.layout }).listSnapshots(result.run.id);
    expect(snapshots.length).toBe(1);
  });

  it('deletes the planned claim by uid, registers one admin and syncs the managed Secret through its SSM source', () => {
    const detail = (kind: string) => result.steps.find((s) => s.kind === kind)?.detail as Record<string, unknown>;
    expect(detail('delete-pvc')).toMatchObject({ pvc: 'data-matrix-0', alreadyGone: false, checkedUid: true });
    expect(detail('bootstrap-admin')).toMatchObject({ action: 'registered', tokenWritten: true, passwordRotated: true });
    expect(detail('write-admin-token')).toMatchObject({ [sandbox.references.ssmToken]: 'unchanged', [sandbox.references.k8sToken]: 'synced' });
    expect(detail('verify')).toMatchObject({ adminToken: 'valid', action: 'nothing' });
  });

  it('journals no secret', () => {
    const text = JSON.stringify(result.steps);
    for (const token of sandbox.oldTokens) expect(text).not.toContain(token);
    expect(text).toContain('registered');
  });

  it('changes nothing when the finished run is resumed or its plan applied again', async () => {
    const version = (await connection.openSecretStore(sandbox.references.ssmToken).read()).version;
    const pods = await sandbox.apiPodNames();
    const again = await resumeRun(result.run.id, connection);
    expect(again.steps.map((s) => s.attempts)).toEqual(result.steps.map((s) => s.attempts));
    const fresh = await sandbox.connect();
    try {
      const refused = await applyPlan(plan, fresh, { confirm: async () => undefined }).catch((caught: unknown) => caught);
      expect(isResetError(refused, 'stale_plan')).toBe(true);
    } finally {
      await fresh.close();
    }
    expect((await connection.openSecretStore(sandbox.references.ssmToken).read()).version).toBe(version);
    expect(await sandbox.apiPodNames()).toEqual(pods);
  });
});

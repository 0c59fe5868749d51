import { readWorkload } from '@matrix-reset/k8s-ops';
import { createSynapseClient, isSynapseClientError } from '@matrix-reset/synapse-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../run/apply.ts';
import { type RunResult } from '../run/run-steps.ts';
import { doctor } from '../doctor/doctor.ts';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import type { Observation } from '../observe/observe.ts';
import { buildPlan } from '../plan/plan-build.ts';
import { observePlanState } from '../plan/plan-freshness.ts';
import type { Plan } from '../plan/plan-model.ts';
import { verify, type VerifyReport } from '../verify/verify.ts';
import { storedRow } from '../test-support/ensure-fixtures.ts';
import { SYNAPSE_DEPLOYMENT_CLAIM } from '../test-support/synapse-deployment.ts';
import { plantFullResetSandbox, type FullResetSandbox } from '../test-support/plan-full-reset-sandbox.ts';

// One full reset of a real Synapse run as a Deployment (SQLite on a claim its pod template names, as the ananace
// chart does) with a worker Deployment, in kube-sim.
let sandbox: FullResetSandbox;
let connection: EnvironmentConnection;
let observation: Observation;
let plan: Plan;
let result: RunResult;
let report: VerifyReport;
let claimBefore: { uid: string | undefined };
/** Each workload's wanted replicas and pods right after the scale-down step. */
let afterScaleDown: Record<string, { replicas: number; pods: number }>;
let synapsePodBefore: string | undefined;
/** The main Deployment's resourceVersion when planned and when applied (an annotation came in between). */
let resourceVersions: { planned: string | undefined; applied: string };

async function tokenState(baseUrl: string, token: string): Promise<string> {
  try {
    return (await createSynapseClient({ baseUrl }).withAccessToken(token).whoami()).userId;
  } catch (error) {
    if (isSynapseClientError(error, 'unknown_token')) return 'M_UNKNOWN_TOKEN';
    throw error;
  }
}

async function podsOf(selector: string): Promise<number> {
  const pods = await sandbox.kube.core.listNamespacedPod({ namespace: sandbox.namespace, labelSelector: selector });
  return pods.items.length;
}

async function claim() {
  return sandbox.kube.core.readNamespacedPersistentVolumeClaim({ namespace: sandbox.namespace, name: SYNAPSE_DEPLOYMENT_CLAIM });
}

beforeAll(async () => {
  sandbox = await plantFullResetSandbox({ synapse: 'Deployment' });
  connection = await sandbox.connect();
  const env = connection.environment;
  claimBefore = { uid: (await claim()).metadata?.uid };
  let observed;
  ({ observation, observed } = await observePlanState(env, connection));
  synapsePodBefore = observation.kubernetes?.pod;
  const checksums = Object.fromEntries(observed.appDatabase.schemas.map((s) => [s.schema, s.checksum ?? '']));
  plan = buildPlan(env, observation, await doctor(env, connection), { mode: 'full-reset', checksums });
  // After planning, what moves a workload's resourceVersion but not its spec: an annotation (as a GitOps tool adds)
  // and a worker pod replaced (the Deployment's status). The plan relies on neither, so apply must not call it stale.
  for (const name of ['matrix-synapse', 'matrix-synapse-worker']) {
    const annotations = (await sandbox.kube.apps.readNamespacedDeployment({ namespace: sandbox.namespace, name })).metadata?.annotations ?? {};
    const value = { ...annotations, 'example.com/synced-at': 'now' };
    await sandbox.kube.apps.patchNamespacedDeployment({ namespace: sandbox.namespace, name, body: [{ op: 'add', path: '/metadata/annotations', value }] });
  }
  const workerPod = (await sandbox.kube.core.listNamespacedPod({ namespace: sandbox.namespace, labelSelector: 'app.kubernetes.io/component=synapse-worker' })).items[0]?.metadata?.name;
  if (workerPod !== undefined) await sandbox.kube.core.deleteNamespacedPod({ namespace: sandbox.namespace, name: workerPod });
  resourceVersions = {
    planned: observation.kubernetes?.workload.resourceVersion,
    applied: (await readWorkload(sandbox.kube, { namespace: sandbox.namespace, workload: { kind: 'Deployment', name: 'matrix-synapse' } })).resourceVersion,
  };
  const scaleDownPosition = plan.steps.findIndex((s) => s.kind === 'scale-down');
  result = await applyPlan(plan, connection, {
    confirm: async () => undefined,
    onStep: async (event) => {
      if (event.phase !== 'after' || event.position !== scaleDownPosition) return;
      afterScaleDown = {};
      for (const [name, selector] of [
        ['matrix-synapse', 'app.kubernetes.io/component=synapse'],
        ['matrix-synapse-worker', 'app.kubernetes.io/component=synapse-worker'],
      ] as const) {
        const workload = await readWorkload(sandbox.kube, { namespace: sandbox.namespace, workload: { kind: 'Deployment', name } });
        afterScaleDown[name] = { replicas: workload.replicas, pods: await podsOf(selector) };
      }
    },
  });
  // A new connection: its port-forward finds the new pod (the first one's pod is gone).
  const fresh = await sandbox.connect();
  try {
    report = await verify(fresh);
  } finally {
    await fresh.close();
  }
}, 300_000);

afterAll(async () => {
  await connection?.close();
  await sandbox?.kube.core.deleteNamespace({ name: sandbox.namespace }).catch(() => undefined);
});

describe('a full reset of Synapse run as a Deployment, with a worker', () => {
  it('observes the Deployment, its worker, its first ready pod and the claim holding the SQLite file', () => {
    const k = observation.kubernetes!;
    expect(k.workload).toMatchObject({ kind: 'Deployment', name: 'matrix-synapse', replicas: 1, retentionPolicy: undefined });
    expect(k.workers).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'matrix-synapse-worker', replicas: 1 })]);
    expect(k.pod).toMatch(/^matrix-synapse-[a-z0-9]+-[a-z0-9]+$/);
    expect(observation.storage).toMatchObject({ engine: 'sqlite3', databasePath: '/data/homeserver.db', onClaimTemplate: 'data', pvcDeletionWipesUsers: true });
    expect(k.pvc).toMatchObject({ name: SYNAPSE_DEPLOYMENT_CLAIM, chosenBy: 'database', source: 'podVolume', state: { exists: true, uid: claimBefore.uid } });
    expect(k.pvc.recreate).toMatchObject({ accessModes: ['ReadWriteOnce'], storage: '1Gi', labels: { 'app.kubernetes.io/managed-by': 'Helm' } });
    expect(k.pvc.recreate?.annotations).toEqual({ 'meta.helm.sh/release-name': 'matrix-synapse', 'meta.helm.sh/release-namespace': sandbox.namespace });
  });

  it('plans the full reset naming the worker and the main Deployment, the worker first', () => {
    expect(plan.observed.kubernetes?.workload).toMatchObject({ kind: 'Deployment', name: 'matrix-synapse', replicas: 1 });
    expect(plan.observed.kubernetes?.workers).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'matrix-synapse-worker', replicas: 1 })]);
    const step = (kind: string) => plan.steps.find((s) => s.kind === kind)!;
    expect(step('scale-down').description).toBe(
      `Scale the workers (Deployment ${sandbox.namespace}/matrix-synapse-worker), then Deployment ${sandbox.namespace}/matrix-synapse, to 0 and wait until their pods are gone`,
    );
    expect(step('scale-down').undo).toContain('then the workers to theirs (matrix-synapse-worker: 1)');
    expect(step('delete-pvc').description).toContain(`then create it again, empty (1Gi`);
    expect(step('scale-up').observed).toMatchObject({ replicas: 1, workers: 'Deployment/matrix-synapse-worker=1' });
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

  it('scaled the worker and the main Deployment to 0, their pods gone, before the claim was touched', () => {
    expect(afterScaleDown).toEqual({ 'matrix-synapse': { replicas: 0, pods: 0 }, 'matrix-synapse-worker': { replicas: 0, pods: 0 } });
  });

  it('applied the plan although the workloads were annotated and a worker pod replaced after planning (their spec did not change)', () => {
    expect(resourceVersions.applied).not.toBe(resourceVersions.planned);
    expect(result.run.state).toBe('finished');
  });

  it('finishes, and scales both back to their replicas, ready', async () => {
    expect(result.run.state).toBe('finished');
    expect(result.steps.every((s) => s.state === 'finished')).toBe(true);
    for (const name of ['matrix-synapse', 'matrix-synapse-worker']) {
      expect(await readWorkload(sandbox.kube, { namespace: sandbox.namespace, workload: { kind: 'Deployment', name } })).toMatchObject({ replicas: 1, readyReplicas: 1 });
    }
    expect(result.steps.find((s) => s.kind === 'scale-up')?.detail).toMatchObject({ workload: 'Deployment/matrix-synapse', replicas: 1, workers: 1, workersReady: 1 });
  });

  it('replaced the claim: a new one of the same name, labels and annotations, which the new pod runs on', async () => {
    const after = await claim();
    expect(after.metadata?.uid).not.toBe(claimBefore.uid);
    expect(after.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm' });
    expect(after.metadata?.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'matrix-synapse' });
    expect(after.status?.phase).toBe('Bound');
    expect(result.steps.find((s) => s.kind === 'delete-pvc')?.detail).toMatchObject({ pvc: SYNAPSE_DEPLOYMENT_CLAIM, alreadyGone: false, checkedUid: true, recreated: true });
    const podNow = (await sandbox.kube.core.listNamespacedPod({ namespace: sandbox.namespace, labelSelector: 'app.kubernetes.io/component=synapse' })).items.map((p) => p.metadata?.name);
    expect(podNow).toHaveLength(1);
    expect(podNow).not.toContain(synapsePodBefore);
  });

  it('wiped Synapse: every token the old Synapse issued answers M_UNKNOWN_TOKEN', async () => {
    const states = await sandbox.withSynapse((url) => Promise.all(sandbox.oldTokens.map((t) => tokenState(url, t))));
    expect(states).toEqual(sandbox.oldTokens.map(() => 'M_UNKNOWN_TOKEN'));
  });

  it('passes verify, and cleared the stored credentials', async () => {
    expect(report.ok).toBe(true);
    expect(result.steps.find((s) => s.kind === 'verify')?.detail).toMatchObject({ adminToken: 'valid', action: 'nothing' });
    for (const key of sandbox.keys) expect(await storedRow(connection.db, sandbox.schema, key)).toEqual({ userId: null, accessToken: null, deviceId: null });
  });
});

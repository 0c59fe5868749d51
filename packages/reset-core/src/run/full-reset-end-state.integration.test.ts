import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { acquireLeaseLock } from '@matrix-reset/k8s-ops';
import type { SecretStore, SecretValue, SecretWriteOptions } from '@matrix-reset/secrets';
import { createSynapseClient } from '@matrix-reset/synapse-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from './apply.ts';
import type { RunConnection } from '../steps/step-definition.ts';
import { resumeRun } from './resume.ts';
import { runStatus } from './status.ts';
import { type RunResult } from './run-steps.ts';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';
import { planEnvironment } from '../plan/plan-build.ts';
import type { Plan } from '../plan/plan-model.ts';
import { isResetError } from '../reset-error.ts';
import { rollbackRun, type RollbackResult } from './rollback.ts';
import { storedRow } from '../test-support/ensure-fixtures.ts';
import { plantFullResetSandbox, type FullResetSandbox, type MoreTargets } from '../test-support/plan-full-reset-sandbox.ts';
import { describeProgress, type ProgressEvent } from '../progress.ts';
import { bootstrapPasswordLogsIn, journalText, secretKey, tokenOwner } from '../test-support/full-reset-outside-reads.ts';

/*
 * Full resets of real Synapse pods in kube-sim, each with four admin-token targets (SSM, an ExternalSecret-managed
 * Secret fed from SSM, a .env file, a plain Secret):
 *   A: uninterrupted, after being refused by a Lease another holder keeps in the namespace; then rolled back;
 *   B: crashed before AND after every step (22 crashes, each resumed through a fresh connection, as a new process);
 *   C: crashed inside bootstrap-admin, after the admin was registered and before its token was stored;
 *   D: crashed inside the batched clear (one row per transaction), after the first batch committed;
 *   E: crashed inside bootstrap-admin after its token was stored, before the derived password was replaced.
 * B, C, D and E must end in A's state, with the run's bootstrap password no longer logging in. Every message, result and journal row is scanned for the secrets in play.
 */

const yes = async () => undefined;
const FOREIGN_HOLDER = 'ops-laptop pid 4242';

interface Flow {
  sandbox: FullResetSandbox;
  connection: EnvironmentConnection;
  plan: Plan;
  apiPodsBefore: string[];
  rowsBefore: Awaited<ReturnType<typeof storedRow>>[];
  result: RunResult;
}

/** Everything printed or thrown along the way, scanned for secrets at the end. */
const captured: string[] = [];
const capture = (event: ProgressEvent) => void captured.push(describeProgress(event));
const flows: Flow[] = [];
/** The admin tokens the runs stored (read before the rollback puts the old ones back). */
const newAdminTokens: string[] = [];
let a: Flow;
let b: Flow;
let c: Flow;
let d: Flow;
let e: Flow;
let afterWriteCrash: { error: unknown; stateAtCrash: { run: string; step: string } };
let clearCrash: { error: unknown; stateAtCrash: { run: string; step: string }; rowsAtCrash: Awaited<ReturnType<typeof storedRow>>[] };
let leaseRefusal: unknown;
let runsAfterRefusal: number;
let chainErrors: string[];
let insideCrash: { error: unknown; lostToken: string; stateAtCrash: { run: string; step: string }; primaryAtCrash: string | undefined; lostTokenOwner: string };

async function read(connection: EnvironmentConnection, reference: string): Promise<string | undefined> {
  return (await connection.openSecretStore(reference).read()).value?.reveal();
}

async function plant(): Promise<Omit<Flow, 'result'>> {
  const sandbox = await plantFullResetSandbox({ moreTargets: true });
  const connection = await sandbox.connect();
  const { plan } = await planEnvironment(connection.environment, connection, { mode: 'full-reset' });
  const rowsBefore = await Promise.all(sandbox.keys.map((key) => storedRow(connection.db, sandbox.schema, key)));
  return { sandbox, connection, plan, apiPodsBefore: await sandbox.apiPodNames(), rowsBefore };
}

/** A fresh connection for one attempt, as a new process would make, closed afterwards. */
async function attempt<T>(sandbox: FullResetSandbox, fn: (connection: EnvironmentConnection) => Promise<T>): Promise<T> {
  const connection = await sandbox.connect();
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

function crashAt(phase: 'before' | 'after', position: number) {
  return (event: { phase: string; position: number }) => {
    if (event.phase === phase && event.position === position) throw new Error(`injected crash ${phase} step ${position}`);
  };
}

function more(sandbox: FullResetSandbox): MoreTargets {
  if (sandbox.moreTargets === undefined) throw new Error('planted without moreTargets');
  return sandbox.moreTargets;
}

async function dotenvBackups(path: string): Promise<string[]> {
  const dir = dirname(path);
  const names = (await readdir(dir)).filter((name) => name.startsWith('.env.bak.'));
  return Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
}

/**
 * The end state of a full reset, with tokens replaced by what they do (a token differs between runs; what it is
 * stored where and what Synapse says about it must not).
 */
async function endState(flow: Flow) {
  const { sandbox, connection, result } = flow;
  const env = connection.environment;
  const adminUserId = env.synapse.adminUserId;
  const primary = await read(connection, sandbox.references.ssmToken);
  if (primary === undefined) throw new Error('no admin token in SSM');
  const labels = ['ssm', 'external-secret', 'dotenv', 'plain-secret'];
  const targets: Record<string, unknown> = {};
  for (const [index, target] of env.adminToken.entries()) {
    const token = await read(connection, target.token);
    targets[labels[index] ?? target.token] = { holdsTheAdminToken: token === primary, user: target.user === undefined ? undefined : await read(connection, target.user) };
  }
  const oldAdminToken = sandbox.oldTokens[0]!;
  const synapse = await sandbox.withSynapse(async (url) => {
    const admin = createSynapseClient({ baseUrl: url }).withAccessToken(primary);
    const users: string[] = [];
    for await (const user of admin.admin.listUsers({ limit: 100 })) users.push(user.userId);
    return {
      adminTokenOwner: await tokenOwner(url, primary),
      adminTokenIsAdmin: (await admin.admin.getUser(adminUserId)) !== undefined,
      oldTokens: await Promise.all(sandbox.oldTokens.map((t) => tokenOwner(url, t))),
      users: users.sort(),
    };
  });
  const rows = await Promise.all(sandbox.keys.map((key) => storedRow(connection.db, sandbox.schema, key)));
  const lease = await sandbox.kube.coordination.readNamespacedLease({ namespace: sandbox.namespace, name: 'matrix-reset' });
  const apiPods = await sandbox.apiPodNames();
  const extra = more(sandbox);
  return {
    run: result.run.state,
    steps: result.steps.map((s) => `${s.kind}: ${s.state}`),
    verify: result.steps.find((s) => s.kind === 'verify')?.detail,
    newAdminToken: primary !== oldAdminToken,
    targets,
    synapse,
    rows,
    apiRestarted: apiPods.length === 1 && !flow.apiPodsBefore.includes(apiPods[0]!),
    leaseHolder: lease.spec?.holderIdentity ?? null,
    dotenvBackupHoldsOldToken: (await dotenvBackups(extra.dotenvPath)).some((text) => text.includes(`MATRIX_ADMIN_ACCESS_TOKEN=${oldAdminToken}`)),
    backupSecretHoldsOldToken: (await secretKey(sandbox, `${extra.plainSecretName}-matrix-reset-backup`, 'TOKEN')) === oldAdminToken,
  };
}

/**
 * The connection's secret stores, except that the first write to `reference` dies as the process would: `before` the
 * value reaches the store (it is handed to `onValue` and lost), or right `after` it was stored.
 */
function dyingAtFirstWrite(connection: EnvironmentConnection, reference: string, when: 'before' | 'after', onValue: (value: string) => void = () => undefined): RunConnection {
  let died = false;
  return {
    ...connection,
    openSecretStore: (ref: string): SecretStore => {
      const store = connection.openSecretStore(ref);
      if (ref !== reference) return store;
      return {
        kind: store.kind,
        reference: store.reference,
        writable: store.writable,
        describe: () => store.describe(),
        read: () => store.read(),
        readPrevious: () => store.readPrevious(),
        restorePrevious: (options?: SecretWriteOptions) => store.restorePrevious(options),
        write: async (value: string | SecretValue, options?: SecretWriteOptions) => {
          if (died) return store.write(value, options);
          died = true;
          if (when === 'before') {
            onValue(typeof value === 'string' ? value : value.reveal());
            throw new Error('injected crash inside bootstrap-admin, before the token was stored');
          }
          await store.write(value, options);
          throw new Error('injected crash inside bootstrap-admin, after the token was stored');
        },
      };
    },
  };
}

beforeAll(async () => {
  // A: a Lease held by someone else refuses the apply; once it expired, the uninterrupted run.
  const planted = await plant();
  await planted.sandbox.kube.coordination.createNamespacedLease({
    namespace: planted.sandbox.namespace,
    body: { metadata: { name: 'matrix-reset' }, spec: { holderIdentity: FOREIGN_HOLDER, leaseDurationSeconds: 300, acquireTime: new Date(), renewTime: new Date() } },
  });
  leaseRefusal = await applyPlan(planted.plan, planted.connection, { confirm: yes, onProgress: capture }).catch((caught: unknown) => caught);
  captured.push(String((leaseRefusal as Error).message));
  runsAfterRefusal = (await runStatus(planted.connection.db, { environment: planted.connection.environment.name })).length;
  // The other holder stopped renewing ten minutes ago: its Lease expired.
  const held = await planted.sandbox.kube.coordination.readNamespacedLease({ namespace: planted.sandbox.namespace, name: 'matrix-reset' });
  const stale = new Date(Date.now() - 600_000);
  await planted.sandbox.kube.coordination.replaceNamespacedLease({
    namespace: planted.sandbox.namespace,
    name: 'matrix-reset',
    body: { ...held, spec: { ...held.spec, renewTime: stale, acquireTime: stale } },
  });
  a = { ...planted, result: await applyPlan(planted.plan, planted.connection, { confirm: yes, onProgress: capture }) };
  flows.push(a);
  newAdminTokens.push((await read(a.connection, a.sandbox.references.ssmToken)) ?? '');

  // B: a crash before and after every step, each attempt through a fresh connection.
  const plantedB = await plant();
  chainErrors = [];
  let runId: string | undefined;
  for (const position of plantedB.plan.steps.keys()) {
    for (const phase of ['before', 'after'] as const) {
      const error = await attempt(plantedB.sandbox, (connection) =>
        runId === undefined
          ? applyPlan(plantedB.plan, connection, { confirm: yes, onStep: crashAt(phase, position), onProgress: capture })
          : resumeRun(runId, connection, { onStep: crashAt(phase, position), onProgress: capture }),
      ).catch((caught: unknown) => caught);
      chainErrors.push((error as Error).message);
      runId ??= (await runStatus(plantedB.connection.db, { environment: plantedB.connection.environment.name }))[0]?.run.id;
    }
  }
  b = { ...plantedB, result: await attempt(plantedB.sandbox, (connection) => resumeRun(runId!, connection, { onProgress: capture })) };
  flows.push(b);
  newAdminTokens.push((await read(b.connection, b.sandbox.references.ssmToken)) ?? '');

  // C: the process dies inside bootstrap-admin, between the registration and the write of its token.
  const plantedC = await plant();
  let lostToken = '';
  const dying = dyingAtFirstWrite(plantedC.connection, plantedC.sandbox.references.ssmToken, 'before', (value) => (lostToken = value));
  const error = await applyPlan(plantedC.plan, dying, { confirm: yes, onProgress: capture }).catch((caught: unknown) => caught);
  captured.push(String((error as Error).message));
  if (!String((error as Error).message).includes('injected crash inside')) throw error;
  const [stopped] = await runStatus(plantedC.connection.db, { environment: plantedC.connection.environment.name });
  insideCrash = {
    error,
    lostToken,
    stateAtCrash: { run: stopped!.run.state, step: stopped!.steps.map((s) => `${s.kind}: ${s.state}`).at(-1)! },
    primaryAtCrash: await read(plantedC.connection, plantedC.sandbox.references.ssmToken),
    lostTokenOwner: await plantedC.sandbox.withSynapse((url) => tokenOwner(url, lostToken)),
  };
  c = { ...plantedC, result: await attempt(plantedC.sandbox, (connection) => resumeRun(stopped!.run.id, connection, { onProgress: capture })) };
  flows.push(c);
  newAdminTokens.push((await read(c.connection, c.sandbox.references.ssmToken)) ?? '');

  // E: the process dies inside bootstrap-admin right after the token reached the primary target (SSM).
  const plantedE = await plant();
  const afterWrite = await applyPlan(plantedE.plan, dyingAtFirstWrite(plantedE.connection, plantedE.sandbox.references.ssmToken, 'after'), { confirm: yes, onProgress: capture }).catch(
    (caught: unknown) => caught,
  );
  captured.push(String((afterWrite as Error).message));
  if (!String((afterWrite as Error).message).includes('after the token was stored')) throw afterWrite;
  const [stoppedE] = await runStatus(plantedE.connection.db, { environment: plantedE.connection.environment.name });
  afterWriteCrash = { error: afterWrite, stateAtCrash: { run: stoppedE!.run.state, step: stoppedE!.steps.map((s) => `${s.kind}: ${s.state}`).at(-1)! } };
  e = { ...plantedE, result: await attempt(plantedE.sandbox, (connection) => resumeRun(stoppedE!.run.id, connection, { onProgress: capture })) };
  flows.push(e);
  newAdminTokens.push((await read(e.connection, e.sandbox.references.ssmToken)) ?? '');

  // D: the process dies inside the batched clear, after its first one-row batch committed.
  const plantedD = await plant();
  const dyingInClear = (event: ProgressEvent) => {
    capture(event);
    // The first count event of the clear comes after its first committed batch.
    if (event.type === 'count' && event.stepId?.endsWith('clear-credentials') === true && event.done >= 1) throw new Error('injected crash inside the batched clear, after batch 1');
  };
  const clearError = await applyPlan(plantedD.plan, plantedD.connection, { confirm: yes, batchSize: 1, onProgress: dyingInClear }).catch((caught: unknown) => caught);
  captured.push(String((clearError as Error).message));
  if (!String((clearError as Error).message).includes('injected crash inside the batched clear')) throw clearError;
  const [stoppedD] = await runStatus(plantedD.connection.db, { environment: plantedD.connection.environment.name });
  clearCrash = {
    error: clearError,
    stateAtCrash: { run: stoppedD!.run.state, step: stoppedD!.steps.map((s) => `${s.kind}: ${s.state}`).at(-1)! },
    rowsAtCrash: await Promise.all(plantedD.sandbox.keys.map((key) => storedRow(plantedD.connection.db, plantedD.sandbox.schema, key))),
  };
  d = { ...plantedD, result: await attempt(plantedD.sandbox, (connection) => resumeRun(stoppedD!.run.id, connection, { batchSize: 1, onProgress: capture })) };
  flows.push(d);
  newAdminTokens.push((await read(d.connection, d.sandbox.references.ssmToken)) ?? '');
}, 540_000);

afterAll(async () => {
  for (const flow of flows) {
    await flow.connection.close();
    await flow.sandbox.kube.core.deleteNamespace({ name: flow.sandbox.namespace }).catch(() => undefined);
  }
});

describe('full reset end to end against kube-sim and the sandbox', () => {
  it('refuses an apply while another holder keeps the matrix-reset Lease, naming it, and starts no run', () => {
    expect(isResetError(leaseRefusal, 'locked')).toBe(true);
    expect((leaseRefusal as Error).message).toContain(`Lease ${a.sandbox.namespace}/matrix-reset is held by "${FOREIGN_HOLDER}"`);
    expect(runsAfterRefusal).toBe(0);
  });

  it('ends an uninterrupted run with the new admin everywhere, the old tokens dead, the credentials cleared, verify passing', async () => {
    const adminUserId = a.connection.environment.synapse.adminUserId;
    const target = { holdsTheAdminToken: true, user: adminUserId };
    expect(await endState(a)).toEqual({
      run: 'finished',
      steps: a.plan.steps.map((s) => `${s.kind}: finished`),
      verify: expect.objectContaining({ adminToken: 'valid', action: 'nothing' }),
      newAdminToken: true,
      targets: { ssm: target, 'external-secret': target, dotenv: target, 'plain-secret': target },
      synapse: { adminTokenOwner: adminUserId, adminTokenIsAdmin: true, oldTokens: a.sandbox.oldTokens.map(() => 'M_UNKNOWN_TOKEN'), users: [adminUserId] },
      rows: a.sandbox.keys.map(() => ({ userId: null, accessToken: null, deviceId: null })),
      apiRestarted: true,
      leaseHolder: null,
      dotenvBackupHoldsOldToken: true,
      backupSecretHoldsOldToken: true,
    });
    const detail = a.result.steps.find((s) => s.kind === 'write-admin-token')?.detail;
    const extra = more(a.sandbox);
    // The user id is the same on the new Synapse: only the tokens change.
    expect(detail).toMatchObject({ [extra.dotenvToken]: 'written', [extra.dotenvUser]: 'unchanged', [extra.plainToken]: 'written', [extra.plainUser]: 'unchanged' });
  });

  it('released the Lease after the run: another holder can take it, and the plan gets past the lock (refused only as stale)', async () => {
    const lock = await acquireLeaseLock(a.sandbox.kube, { namespace: a.sandbox.namespace, name: 'matrix-reset', holder: 'next run' });
    await lock.release();
    const again = await applyPlan(a.plan, a.connection, { confirm: yes }).catch((caught: unknown) => caught);
    expect(isResetError(again, 'stale_plan')).toBe(true);
  });

  it('ends in the same state after a crash before and after every step, each resumed', async () => {
    expect(chainErrors).toEqual(b.plan.steps.flatMap((_, p) => [`injected crash before step ${p}`, `injected crash after step ${p}`]));
    expect(b.result.steps.map((s) => s.attempts)).toEqual(b.plan.steps.map(() => 2));
    expect(await endState(b)).toEqual(await endState(a));
  });

  it('after a crash inside bootstrap-admin (registered, token not stored), resumes to the same state with the admin registered once', async () => {
    expect((insideCrash.error as Error).message).toContain('injected crash inside bootstrap-admin');
    expect(insideCrash.stateAtCrash).toEqual({ run: 'failed', step: 'bootstrap-admin: failed' });
    // The crash came after the registration: the admin existed, its token was stored nowhere.
    expect(insideCrash.lostTokenOwner).toBe(c.connection.environment.synapse.adminUserId);
    expect(insideCrash.primaryAtCrash).toBe(c.sandbox.oldTokens[0]);

    const bootstrap = c.result.steps.find((s) => s.kind === 'bootstrap-admin');
    expect(bootstrap).toMatchObject({ state: 'finished', attempts: 2, detail: { action: 'logged-in', tokenWritten: true, strayDevicesRevoked: 1 } });
    expect(await endState(c)).toEqual(await endState(a));
    // No target holds the token of the lost registration, and Synapse no longer accepts it.
    for (const target of c.connection.environment.adminToken) expect(await read(c.connection, target.token)).not.toBe(insideCrash.lostToken);
    expect(await c.sandbox.withSynapse((url) => tokenOwner(url, insideCrash.lostToken))).toBe('M_UNKNOWN_TOKEN');
  });

  it('after a crash inside bootstrap-admin once the token was stored, resumes to the same state and replaces the bootstrap password', async () => {
    expect(afterWriteCrash.stateAtCrash).toEqual({ run: 'failed', step: 'bootstrap-admin: failed' });
    const bootstrap = e.result.steps.find((s) => s.kind === 'bootstrap-admin');
    expect(bootstrap).toMatchObject({ state: 'finished', attempts: 2, detail: { action: 'kept', passwordRotated: true } });
    expect(await endState(e)).toEqual(await endState(a));
  });

  it('leaves no run with a working bootstrap password, whichever way it went', async () => {
    for (const flow of [a, b, c, e]) expect(await bootstrapPasswordLogsIn(flow.sandbox, flow.result.run.id, flow.connection.environment.synapse.adminUserId)).toBe(false);
  });

  it('after a crash inside the batched clear, resumes after the last committed batch to the same state', async () => {
    expect((clearCrash.error as Error).message).toContain('injected crash inside the batched clear');
    expect(clearCrash.stateAtCrash).toEqual({ run: 'failed', step: 'clear-credentials: failed' });
    // One row per transaction: the first row was cleared and committed, the second still held its credentials.
    const cleared = { userId: null, accessToken: null, deviceId: null };
    expect(clearCrash.rowsAtCrash).toEqual([cleared, d.rowsBefore[1]]);
    expect(d.rowsBefore[1]?.accessToken).not.toBeNull();
    const clear = d.result.steps.find((s) => s.kind === 'clear-credentials');
    // The resumed clear counts the rows of both attempts (the progress row in our schema carries them over).
    expect(clear).toMatchObject({ state: 'finished', attempts: 2, detail: { cleared: 2 } });
    expect(await endState(d)).toEqual(await endState(a));
  });

  let rollback: RollbackResult;
  it('rollback of the uninterrupted run puts the previous admin token and user back in SSM, the .env file and the plain Secret, and the credentials back', async () => {
    const preview = await rollbackRun(a.result.run.id, a.connection, { dryRun: true });
    captured.push(JSON.stringify(preview));
    rollback = await rollbackRun(a.result.run.id, a.connection, { confirm: yes, onProgress: capture });
    captured.push(JSON.stringify(rollback));
    expect(rollback.state).toBe('rolled-back');
    // 8 targets: the SSM, .env and plain-Secret tokens go back; their 3 user ids were never changed; the 2 keys of
    // the managed Secret (synced together) follow SSM.
    const undo = (result: RollbackResult) => result.steps.find((s) => s.kind === 'write-admin-token');
    expect(undo(preview)).toMatchObject({ outcome: 'would-undo', detail: { targets: 8, restored: 3, unchanged: 3 } });
    expect(undo(rollback)).toMatchObject({ outcome: 'undone', detail: { targets: 8, restored: 3, unchanged: 3 } });
    const extra = more(a.sandbox);
    const oldAdmin = a.sandbox.oldTokens[0]!;
    const oldUser = `@admin:${a.connection.environment.synapse.serverName}`;
    expect({
      ssm: [await read(a.connection, a.sandbox.references.ssmToken), await read(a.connection, a.sandbox.references.ssmUser)],
      dotenv: [await read(a.connection, extra.dotenvToken), await read(a.connection, extra.dotenvUser)],
      plain: [await read(a.connection, extra.plainToken), await read(a.connection, extra.plainUser)],
    }).toEqual({ ssm: [oldAdmin, oldUser], dotenv: [oldAdmin, oldUser], plain: [oldAdmin, oldUser] });
    expect(await readFile(extra.dotenvPath, 'utf8')).toContain('# app settings\nAPP_NAME=api\n');
    expect(await Promise.all(a.sandbox.keys.map((key) => storedRow(a.connection.db, a.sandbox.schema, key)))).toEqual(a.rowsBefore);
    expect(rollback.cannotUndo.join('\n')).toMatch(/claim|volume|PVC/i);
    // The Secret External Secrets manages is not written: it follows SSM at its next refresh, and the output says so.
    expect(rollback.cannotUndo.join('\n')).toMatch(/api-secrets.* is managed by External Secrets: not written back/);
  });

  it('puts no token or shared secret in any message, result or journal row', async () => {
    const secrets = new Set<string>([insideCrash.lostToken, ...newAdminTokens]);
    for (const flow of flows) {
      for (const token of flow.sandbox.oldTokens) secrets.add(token);
      secrets.add(flow.sandbox.sharedSecret);
    }
    expect(newAdminTokens.every((token) => token.length > 20)).toBe(true);
    const texts = [...captured, ...chainErrors, ...(await Promise.all(flows.map((f) => journalText(f.connection.db, f.result.run.id)))), ...flows.map((f) => JSON.stringify(f.result)), ...flows.map((f) => JSON.stringify(f.plan))];
    expect(captured.length).toBeGreaterThan(50);
    for (const text of texts) for (const secret of secrets) expect(secret.length > 8 && text.includes(secret), 'a secret leaked').toBe(false);
  });
});

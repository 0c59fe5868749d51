import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvironmentConnection } from '@matrix-reset/reset-core';
import {
  bootstrapPassword,
  bootstrapPasswordLogsIn,
  credentialSnapshots,
  journaledRun,
  journaledRunIds,
  journalText,
  matrixUserExists,
  plantFullResetSandbox,
  ssmParameterVersions,
  storedRow,
  synapseClaimUid,
  synapseDevices,
  synapseUsers,
  tokenOwner,
  volumeSnapshotNames,
  type FullResetSandbox,
  type JournaledStep,
} from '@matrix-reset/reset-core/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signal, startCli, stepUntil, type StartedCli } from './test-support/run-cli-tty.ts';
import { leakedSecrets, runCli, tempDir, type CliRun } from './test-support/run-cli.ts';

/*
 * Chaos: the real `matrix-reset apply` and `resume` processes are killed with SIGKILL at points chosen by watching the
 * reset from outside (the journal rows in Postgres, the admin token's SSM versions, the cluster's objects), then
 * resumed, until the run finishes. No hook in the product: to kill at an exact point, the process is frozen
 * (SIGSTOP) while the outside state is read and thawed (SIGCONT) for a few milliseconds between reads, so the state the
 * kill is chosen on is the state the process dies in.
 *
 * The scenarios (side by side, each with its own full-reset sandbox: namespace, real Synapse pod on its claim, API
 * Deployment fed by an ExternalSecret from SSM, an OpenMeet tenant whose users' tokens that Synapse issued):
 *   1: apply killed during backup-secrets, its resume killed while the VolumeSnapshot is taken;
 *   2: apply killed once delete-pvc finished (scale-up not done), its resume killed once write-admin-token finished;
 *   3: apply killed inside bootstrap-admin right after the new token reached SSM (a new parameter version);
 *   4: apply killed during scale-down, then a resume killed in each later step: delete-pvc, bootstrap-admin (the admin
 *      registered, its token stored nowhere), write-admin-token, restart-workloads, clear-credentials, verify.
 * Each must end in the same state:
 * one admin on the new Synapse with one session (the stored token's), one new SSM version of the admin token, the
 * claim replaced once, one VolumeSnapshot, one credential snapshot holding exactly the rows before, the rows cleared, no
 * finished step run again, the run's bootstrap password dead, `verify` passing and no secret in any output.
 */

/** One SIGKILL: the process, and the run's journal and the admin token's SSM version count as it died. */
interface Kill {
  readonly pid: number;
  readonly steps: readonly JournaledStep[];
  readonly tokenVersions: number;
}

interface Scenario {
  readonly sandbox: FullResetSandbox;
  readonly connection: EnvironmentConnection;
  readonly env: Record<string, string>;
  readonly planFile: string;
  readonly before: { tokenVersions: number[]; userVersions: number[]; claimUid: string; rows: Awaited<ReturnType<typeof storedRow>>[]; apiPods: string[] };
  /** Every CLI run of the scenario (plan, applies, resumes, verify, status), to scan for secrets. */
  readonly runs: CliRun[];
  /** The resumes, in order: the i-th came after the i-th kill. */
  readonly resumes: CliRun[];
  readonly kills: Kill[];
  /** Every uid Synapse's claim had, in the order seen (sampled from outside for the whole scenario). */
  readonly claimUids: string[];
  runId: string;
  /** What {@link endState} read once the run finished (before verify made users of its own). */
  end?: Awaited<ReturnType<typeof endState>>;
  verify?: CliRun;
  status?: CliRun;
  /** `status` between a kill and the resume (one scenario asks). */
  statusAfterKill?: CliRun;
  stopSampling(): Promise<void>;
}

const scenarios: Scenario[] = [];

async function prepare(): Promise<Scenario> {
  const sandbox = await plantFullResetSandbox();
  const connection = await sandbox.connect();
  const dir = await tempDir();
  const configPath = join(dir, 'matrix-reset.yaml');
  await writeFile(configPath, sandbox.configYaml);
  const env = { MATRIX_RESET_CONFIG: configPath, MATRIX_RESET_ENV: sandbox.namespace };
  const claimUid = await synapseClaimUid(sandbox);
  if (claimUid === undefined) throw new Error('the planted Synapse has no claim');
  const claimUids = [claimUid];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const uid = await synapseClaimUid(sandbox);
      if (uid !== undefined && uid !== claimUids.at(-1)) claimUids.push(uid);
      await sleep(50);
    }
  })();
  const planFile = join(dir, 'full-reset.plan.json');
  const plan = await runCli(['plan', '--mode', 'full-reset', '--out', planFile, '--json'], { env });
  if (plan.code !== 0) throw new Error(`plan failed (${plan.code}): ${plan.stderr}`);
  const scenario: Scenario = {
    sandbox,
    connection,
    env,
    planFile,
    before: {
      tokenVersions: await ssmParameterVersions(sandbox.references.ssmToken),
      userVersions: await ssmParameterVersions(sandbox.references.ssmUser),
      claimUid,
      rows: await Promise.all(sandbox.keys.map((key) => storedRow(connection.db, sandbox.schema, key))),
      apiPods: await sandbox.apiPodNames(),
    },
    runs: [plan],
    resumes: [],
    kills: [],
    claimUids,
    runId: '',
    stopSampling: async () => {
      sampling = false;
      await sampler;
    },
  };
  scenarios.push(scenario);
  return scenario;
}

function stepOf(steps: readonly JournaledStep[], kind: string): JournaledStep | undefined {
  return steps.find((step) => step.kind === kind);
}


/** {@link stepUntil}, learning the run's id from the journal first (the condition reads the run's steps). */
function stepInRun(scenario: Scenario, cli: Command, what: string, condition: () => Promise<boolean>): Promise<void> {
  return stepUntil(cli, what, async () => {
    if (scenario.runId === '') scenario.runId = (await journaledRunIds(scenario.connection.db, scenario.sandbox.namespace))[0] ?? '';
    return scenario.runId !== '' && (await condition());
  });
}

/**
 * Kills the CLI (the node process itself, which holds the lock) with SIGKILL once `condition` holds, frozen in the
 * state the condition saw, and records the journal as it died.
 */
async function killWhen(scenario: Scenario, cli: Command, what: string, condition: () => Promise<boolean>): Promise<Kill> {
  await stepInRun(scenario, cli, what, condition);
  signal(cli.pid, 'SIGKILL');
  const run = await cli.done;
  scenario.runs.push(run);
  if (cli.kind === 'resume') scenario.resumes.push(run);
  expect(cli.child.signalCode, what).toBe('SIGKILL');
  const kill = { pid: cli.pid, steps: (await journaledRun(scenario.connection.db, scenario.runId)).steps, tokenVersions: (await ssmParameterVersions(scenario.sandbox.references.ssmToken)).length };
  scenario.kills.push(kill);
  return kill;
}

/** The step of `kind` has a journal row in one of `states`. */
function stepIn(scenario: Scenario, kind: string, states: readonly string[]): () => Promise<boolean> {
  return async () => {
    const step = stepOf((await journaledRun(scenario.connection.db, scenario.runId)).steps, kind);
    return step !== undefined && states.includes(step.state);
  };
}

type Command = StartedCli & { kind: 'apply' | 'resume' };

function apply(scenario: Scenario): Command {
  return { ...startCli(['apply', scenario.planFile, '--yes', '--json'], { env: scenario.env }), kind: 'apply' };
}

function resume(scenario: Scenario): Command {
  return { ...startCli(['resume', scenario.runId, '--json'], { env: scenario.env }), kind: 'resume' };
}

/** Runs resume to its end; it must finish the run. */
async function resumeToTheEnd(scenario: Scenario): Promise<CliRun> {
  const run = await resume(scenario).done;
  scenario.runs.push(run);
  scenario.resumes.push(run);
  expect(run.code, run.stderr.slice(-3000)).toBe(0);
  return run;
}

/** apply dies while backup-secrets runs; its resume dies while the VolumeSnapshot is taken (waiting for readyToUse). */
async function killedDuringBackup(): Promise<Scenario> {
  const scenario = await prepare();
  await killWhen(scenario, apply(scenario), 'killed during backup-secrets', stepIn(scenario, 'backup-secrets', ['started']));
  await killWhen(scenario, resume(scenario), 'killed during volume-snapshot', stepIn(scenario, 'volume-snapshot', ['started']));
  await resumeToTheEnd(scenario);
  return finish(scenario);
}

/** apply dies once the claim is deleted, before the scale-up is done; its resume dies once write-admin-token finished. */
async function killedAfterClaimDelete(): Promise<Scenario> {
  const scenario = await prepare();
  await killWhen(scenario, apply(scenario), 'killed after delete-pvc', stepIn(scenario, 'delete-pvc', ['finished']));
  await killWhen(scenario, resume(scenario), 'killed after write-admin-token', stepIn(scenario, 'write-admin-token', ['finished']));
  await resumeToTheEnd(scenario);
  return finish(scenario);
}

/** apply dies inside bootstrap-admin, right after the new admin token reached SSM. */
async function killedAfterSsmWrite(): Promise<Scenario> {
  const scenario = await prepare();
  const versionsBefore = scenario.before.tokenVersions.length;
  await killWhen(scenario, apply(scenario), 'killed after the SSM write', async () => (await ssmParameterVersions(scenario.sandbox.references.ssmToken)).length > versionsBefore);
  scenario.statusAfterKill = await runCli(['status', '--run', scenario.runId], { env: scenario.env });
  scenario.runs.push(scenario.statusAfterKill);
  await resumeToTheEnd(scenario);
  return finish(scenario);
}

/**
 * A kill in each of the later steps while it runs; in bootstrap-admin after the admin was registered and before its
 * token was stored (the user exists on the new Synapse, asked through one port-forward opened while the CLI is frozen).
 */
async function killedInEveryStep(): Promise<Scenario> {
  const scenario = await prepare();
  const adminUserId = scenario.connection.environment.synapse.adminUserId;
  await killWhen(scenario, apply(scenario), 'killed during scale-down', stepIn(scenario, 'scale-down', ['started']));
  await killWhen(scenario, resume(scenario), 'killed during delete-pvc', stepIn(scenario, 'delete-pvc', ['started']));
  const resumed = resume(scenario);
  await stepInRun(scenario, resumed, 'in bootstrap-admin', stepIn(scenario, 'bootstrap-admin', ['started']));
  await scenario.sandbox.withSynapse((url) => killWhen(scenario, resumed, 'killed after the registration', () => matrixUserExists(url, adminUserId)));
  for (const kind of ['write-admin-token', 'restart-workloads', 'clear-credentials', 'verify']) {
    await killWhen(scenario, resume(scenario), `killed during ${kind}`, stepIn(scenario, kind, ['started']));
  }
  await resumeToTheEnd(scenario);
  return finish(scenario);
}

/** Reads the end state from outside, then (it makes and removes users of its own) runs verify and status. */
async function finish(scenario: Scenario): Promise<Scenario> {
  await scenario.stopSampling();
  scenario.end = await endState(scenario);
  scenario.verify = await runCli(['verify', '--json'], { env: scenario.env });
  scenario.status = await runCli(['status', '--run', scenario.runId, '--json'], { env: scenario.env });
  scenario.runs.push(scenario.verify, scenario.status);
  return scenario;
}

let duringBackup: Scenario;
let afterClaimDelete: Scenario;
let afterSsmWrite: Scenario;
let everyStep: Scenario;

beforeAll(async () => {
  // Three sandboxes of their own, side by side: each kill is chosen on a frozen process, whatever the load.
  [duringBackup, afterClaimDelete, afterSsmWrite, everyStep] = await Promise.all([killedDuringBackup(), killedAfterClaimDelete(), killedAfterSsmWrite(), killedInEveryStep()]);
}, 240_000);

afterAll(async () => {
  for (const scenario of scenarios) {
    await scenario.stopSampling();
    await scenario.connection.close();
    await scenario.sandbox.kube.core.deleteNamespace({ name: scenario.sandbox.namespace }).catch(() => undefined);
  }
});

/** The end state every scenario must reach, read from outside. */
async function endState(scenario: Scenario) {
  const { sandbox, connection, runId } = scenario;
  const adminUserId = connection.environment.synapse.adminUserId;
  const adminToken = (await connection.openSecretStore(sandbox.references.ssmToken).read()).value?.reveal() ?? '';
  const journal = await journaledRun(connection.db, runId);
  const snapshots = await credentialSnapshots(connection.db, runId);
  const apiPods = await sandbox.apiPodNames();
  return {
    run: journal.state,
    steps: journal.steps.map((step) => `${step.kind}: ${step.state}`),
    synapseUsers: await synapseUsers(sandbox, adminToken),
    adminSessions: await synapseDevices(sandbox, adminToken, adminUserId).then(({ devices, adminTokenDevice }) => ({ count: devices.length, theStoredToken: devices[0] === adminTokenDevice })),
    adminTokenOwner: await sandbox.withSynapse((url) => tokenOwner(url, adminToken)),
    oldTokens: await sandbox.withSynapse((url) => Promise.all(sandbox.oldTokens.map((token) => tokenOwner(url, token)))),
    newTokenVersions: (await ssmParameterVersions(sandbox.references.ssmToken)).length - scenario.before.tokenVersions.length,
    newUserVersions: (await ssmParameterVersions(sandbox.references.ssmUser)).length - scenario.before.userVersions.length,
    claimReplacedOnce: scenario.claimUids.length === 2 && scenario.claimUids[1] === (await synapseClaimUid(sandbox)),
    volumeSnapshots: (await volumeSnapshotNames(sandbox)).length,
    credentialSnapshots: snapshots.catalog.map((s) => ({ schema: s.schema, rowCount: s.rowCount })),
    backupTables: snapshots.backupTables,
    rows: await Promise.all(sandbox.keys.map((key) => storedRow(connection.db, sandbox.schema, key))),
    apiRestarted: apiPods.length === 1 && !scenario.before.apiPods.includes(apiPods[0]!),
    bootstrapPasswordLogsIn: await bootstrapPasswordLogsIn(sandbox, runId, adminUserId),
  };
}

function expectedEndState(scenario: Scenario) {
  const adminUserId = scenario.connection.environment.synapse.adminUserId;
  const planned = (JSON.parse(scenario.runs[0]!.stdout) as { plan: { steps: { kind: string }[] } }).plan.steps.map((s) => s.kind);
  return {
    run: 'finished',
    steps: planned.map((kind) => `${kind}: finished`),
    synapseUsers: [{ userId: adminUserId, admin: true }],
    // No other session of the admin: not a lost registration's, not a bootstrap-password login's.
    adminSessions: { count: 1, theStoredToken: true },
    adminTokenOwner: adminUserId,
    oldTokens: scenario.sandbox.oldTokens.map(() => 'M_UNKNOWN_TOKEN'),
    newTokenVersions: 1,
    newUserVersions: 0,
    claimReplacedOnce: true,
    volumeSnapshots: planned.includes('volume-snapshot') ? 1 : 0,
    credentialSnapshots: [{ schema: scenario.sandbox.schema, rowCount: scenario.before.rows.filter((r) => r.accessToken !== null).length }],
    backupTables: 1,
    rows: scenario.sandbox.keys.map(() => ({ userId: null, accessToken: null, deviceId: null })),
    apiRestarted: true,
    bootstrapPasswordLogsIn: false,
  };
}

/**
 * No step finished before a kill ran again (same attempts, same finish time), and every step ran once plus once per
 * kill that caught it started and unfinished.
 */
function expectNoFinishedStepReRun(scenario: Scenario, final: readonly JournaledStep[]): void {
  for (const kill of scenario.kills) {
    for (const step of kill.steps.filter((s) => s.state === 'finished')) {
      expect(stepOf(final, step.kind), `${step.kind} finished before pid ${kill.pid} was killed`).toMatchObject({ attempts: step.attempts, finishedAt: step.finishedAt });
    }
  }
  const interrupted = (kind: string) => scenario.kills.filter((kill) => stepOf(kill.steps, kind)?.state === 'started').length;
  expect(final.map((step) => `${step.kind}: ${step.attempts}`)).toEqual(final.map((step) => `${step.kind}: ${1 + interrupted(step.kind)}`));
}

describe.each([
  ['apply killed during backup-secrets, its resume killed during volume-snapshot', () => duringBackup],
  ['apply killed after delete-pvc, its resume killed after write-admin-token', () => afterClaimDelete],
  ['apply killed inside bootstrap-admin after the SSM write', () => afterSsmWrite],
  ['apply killed during scale-down, then each resume killed in a later step', () => everyStep],
])('chaos: %s, then resumed', (_name, scenarioOf) => {
  it('ends with one admin, one new SSM version, the claim replaced once, one snapshot of the exact rows, the rows cleared, the bootstrap password dead', () => {
    const scenario = scenarioOf();
    expect(scenario.end).toEqual(expectedEndState(scenario));
  });

  it('the credential snapshot holds exactly the rows as they were before', async () => {
    const scenario = scenarioOf();
    const [snapshot] = (await credentialSnapshots(scenario.connection.db, scenario.runId)).catalog;
    const before = scenario.before.rows.filter((row) => row.accessToken !== null);
    // One backup row per row that held credentials, in key order, holding what that row held.
    expect(snapshot?.rows).toEqual(before.map((row) => expect.objectContaining({ user_id: row.userId, access_token: row.accessToken, device_id: row.deviceId })));
  });

  it('ran no finished step again', async () => {
    const scenario = scenarioOf();
    expect(scenario.kills.length).toBeGreaterThan(0);
    expectNoFinishedStepReRun(scenario, (await journaledRun(scenario.connection.db, scenario.runId)).steps);
  });

  it('each resume took the dead process\'s lock over at once and said so', () => {
    const scenario = scenarioOf();
    const resumes = scenario.resumes;
    expect(resumes).toHaveLength(scenario.kills.length);
    scenario.kills.forEach((kill, i) => {
      expect(resumes[i]!.stderr).toMatch(new RegExp(`took the lock of ${scenario.sandbox.namespace} over from "matrix-reset on \\S+ pid ${kill.pid} start [^"]+" \\(that process is gone\\)`));
    });
  });

  it('verify passes and status shows the run finished', () => {
    const { verify, status } = scenarioOf();
    expect(verify?.code, verify?.stderr).toBe(0);
    expect((JSON.parse(verify?.stdout ?? '{}') as { ok?: boolean }).ok).toBe(true);
    expect(status?.code, status?.stderr).toBe(0);
    expect((JSON.parse(status?.stdout ?? '{}') as { runs: { run: { state: string } }[] }).runs.map((r) => r.run.state)).toEqual(['finished']);
  });
});

describe('chaos: where the kills landed', () => {
  it('the first apply died in backup-secrets, before the Synapse was touched; its resume died taking the VolumeSnapshot', () => {
    const [first, second] = duringBackup.kills;
    expect(stepOf(first!.steps, 'backup-secrets')?.state).toBe('started');
    expect(stepOf(first!.steps, 'scale-down')).toBeUndefined();
    expect(stepOf(second!.steps, 'volume-snapshot')?.state).toBe('started');
    expect(stepOf(second!.steps, 'delete-pvc')).toBeUndefined();
  });

  it('the second apply died with the claim deleted and the scale-up not finished; its resume died after write-admin-token', () => {
    const [first, second] = afterClaimDelete.kills;
    expect(stepOf(first!.steps, 'delete-pvc')?.state).toBe('finished');
    expect(stepOf(first!.steps, 'scale-up')?.state ?? 'not started').toMatch(/^(started|not started)$/);
    expect(stepOf(second!.steps, 'write-admin-token')?.state).toBe('finished');
    expect(stepOf(second!.steps, 'verify')).toBeUndefined();
  });

  it('the third apply died inside bootstrap-admin after the token reached SSM: the resume kept that token and retired the bootstrap password', async () => {
    const [kill] = afterSsmWrite.kills;
    expect(stepOf(kill!.steps, 'bootstrap-admin')?.state).toBe('started');
    const bootstrap = stepOf((await journaledRun(afterSsmWrite.connection.db, afterSsmWrite.runId)).steps, 'bootstrap-admin');
    // kept: the token the killed attempt stored in SSM is the admin's; passwordRotated: the kill came before the derived
    // password was replaced, and the resume replaced it.
    expect(bootstrap).toMatchObject({ state: 'finished', attempts: 2, detail: { action: 'kept', tokenWritten: false, passwordRotated: true } });
    expect(await bootstrapPasswordLogsIn(afterSsmWrite.sandbox, afterSsmWrite.runId, afterSsmWrite.connection.environment.synapse.adminUserId)).toBe(false);
  });

  it('status between that kill and the resume showed the run still running and its holder gone, naming the resume', () => {
    const { statusAfterKill, runId, kills } = afterSsmWrite;
    expect(statusAfterKill?.code, statusAfterKill?.stderr).toBe(0);
    expect(statusAfterKill?.stdout).toContain(`Run ${runId} of ${afterSsmWrite.sandbox.namespace} (full-reset, plan `);
    expect(statusAfterKill?.stdout).toMatch(new RegExp(`: running\nIts holder \\(matrix-reset on \\S+ pid ${kills[0]!.pid} start [^)]+\\) is gone: the run stopped there\\. Continue it with matrix-reset resume ${runId} `));
  });
});

describe('chaos: where the kills landed (a kill in every later step)', () => {
  it('each process died while its step ran: scale-down, delete-pvc, bootstrap-admin, write-admin-token, restart-workloads, clear-credentials, verify', () => {
    const kinds = ['scale-down', 'delete-pvc', 'bootstrap-admin', 'write-admin-token', 'restart-workloads', 'clear-credentials', 'verify'];
    expect(everyStep.kills.map((kill, i) => `${kinds[i]}: ${stepOf(kill.steps, kinds[i]!)?.state}`)).toEqual(kinds.map((kind) => `${kind}: started`));
  });

  it('bootstrap-admin died with the admin registered and its token stored nowhere; the resume logged in and revoked the lost session', async () => {
    const kill = everyStep.kills[2]!;
    expect(kill.tokenVersions).toBe(everyStep.before.tokenVersions.length);
    const bootstrap = stepOf((await journaledRun(everyStep.connection.db, everyStep.runId)).steps, 'bootstrap-admin');
    expect(bootstrap).toMatchObject({ state: 'finished', attempts: 2, detail: { action: 'logged-in', tokenWritten: true, strayDevicesRevoked: 1 } });
  });
});

describe('chaos: secrets', () => {
  it('no token, shared secret or bootstrap password appears in any output or journal row', async () => {
    const secrets: string[] = [];
    const texts: string[] = [];
    for (const scenario of scenarios) {
      const { sandbox, connection, runId } = scenario;
      secrets.push(...sandbox.oldTokens, sandbox.sharedSecret, bootstrapPassword(sandbox, runId, connection.environment.synapse.adminUserId));
      secrets.push((await connection.openSecretStore(sandbox.references.ssmToken).read()).value?.reveal() ?? '');
      texts.push(await journalText(connection.db, runId));
    }
    expect(secrets.every((secret) => secret.length > 8)).toBe(true);
    for (const run of scenarios.flatMap((s) => s.runs)) expect(leakedSecrets(run, secrets)).toEqual([]);
    for (const text of texts) for (const secret of secrets) expect(secret.length > 8 && text.includes(secret), 'a secret in the journal').toBe(false);
  });
});

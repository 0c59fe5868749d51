import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectEnvironment, ensureCredentials, loadResetConfig, resolveEnvironment, type EnvironmentConnection } from '@matrix-reset/reset-core';
import { journaledRun, journaledRunIds, tokenOwner, type JournaledStep } from '@matrix-reset/reset-core/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScenarioCluster, type ScenarioCluster } from './test-support/kube-sim-scenario.ts';
import { databaseUrl } from './test-support/openmeet-database.ts';
import { lines, plantEss, psqlAt, type EssSandbox } from './test-support/postgres-synapse.ts';
import { startCli, type StartedCli } from './test-support/run-cli-tty.ts';
import { leakedSecrets, runCli, type CliRun } from './test-support/run-cli.ts';

/*
 * The full reset of a Synapse on Postgres, end to end through the real CLI, read from outside: ESS's matrix-stack
 * shape (kube-sim's synapse-ess scenario: StatefulSet ess-synapse-main beside a real Postgres in StatefulSet
 * ess-postgres). matrix-reset reaches the database as `postgres` at the Service's ClusterIP, its password in Secret
 * ess-generated. Three clusters side by side, each its own kube-sim process:
 *   main:     refused plans (a role that cannot replace the database, homeserver.yaml from the stopped pod, an
 *             unreachable server), then plan, apply, the end state, the app provisioning again, rollback;
 *   in use:   a session of its own left on Synapse's database once Synapse is stopped: backup-synapse-database fails
 *             with database_in_use naming it; resumed once it is closed;
 *   crashes:  apply and its resumes killed with SIGKILL inside backup-synapse-database, right after it, inside
 *             create-synapse-database and right after it, then resumed to the end.
 */

const ESS_SYNAPSE_DATABASE = 'synapse';

/** Every CLI run, plan file and journal text, to scan for secrets at the end. */
const outputs: { runs: CliRun[]; texts: string[]; secrets: string[] } = { runs: [], texts: [], secrets: [] };
const clusters: ScenarioCluster[] = [];

async function cli(ess: EssSandbox, args: readonly string[]): Promise<CliRun> {
  const run = await runCli(args, { env: ess.env, cwd: ess.dir });
  outputs.runs.push(run);
  return run;
}

async function plant(): Promise<EssSandbox> {
  const cluster = await startScenarioCluster('synapse-ess');
  clusters.push(cluster);
  const ess = await plantEss(cluster);
  outputs.secrets.push(...ess.secrets);
  connections.set(ess, await connect(ess));
  return ess;
}

/** Writes a full-reset plan; its path. */
async function planFullReset(ess: EssSandbox, name = 'full-reset.plan.json'): Promise<string> {
  const file = join(ess.dir, name);
  const run = await cli(ess, ['plan', '--mode', 'full-reset', '--out', file, '--json']);
  if (run.code !== 0) throw new Error(`plan failed (${run.code}): ${run.stderr}`);
  outputs.texts.push(await readFile(file, 'utf8'));
  return file;
}

// --- reads from outside ---

/** A connection to the environment (through the library), for the journal reads: quick enough to poll a frozen CLI. */
async function connect(ess: EssSandbox): Promise<EnvironmentConnection> {
  return connectEnvironment(resolveEnvironment(await loadResetConfig({ path: ess.configPath }), ess.environment));
}

/** Each planted environment's connection (closed in afterAll). */
const connections = new Map<EssSandbox, EnvironmentConnection>();

function dbOf(ess: EssSandbox): EnvironmentConnection['db'] {
  const connection = connections.get(ess);
  if (connection === undefined) throw new Error(`no connection for ${ess.environment}`);
  return connection.db;
}

/** The environment's run ids in the journal, newest first. */
function runIds(ess: EssSandbox): Promise<string[]> {
  return journaledRunIds(dbOf(ess), ess.environment);
}

type Step = Pick<JournaledStep, 'kind' | 'state' | 'attempts' | 'finishedAt'>;

/** The journaled steps of a run, in plan order, and its state. */
async function journal(ess: EssSandbox, runId: string): Promise<{ state: string; steps: Step[] }> {
  const run = await journaledRun(dbOf(ess), runId);
  return { state: run.state ?? 'none', steps: run.steps.map(({ kind, state, attempts, finishedAt }) => ({ kind, state, attempts, finishedAt })) };
}

/** The journal rows of a run as text (to scan for secrets). */
async function journalText(runId: string): Promise<string> {
  return psqlAt(
    databaseUrl(),
    `SELECT coalesce((SELECT row_to_json(r)::text FROM matrix_reset.run r WHERE id = '${runId}'), '') ||
            coalesce((SELECT string_agg(row_to_json(s)::text, '') FROM matrix_reset.run_step s WHERE run_id = '${runId}'), '') ||
            coalesce((SELECT string_agg(row_to_json(s)::text, '') FROM matrix_reset.rollback_step s WHERE run_id = '${runId}'), '')`,
  );
}

function stepOf(steps: readonly Step[], kind: string): Step | undefined {
  return steps.find((step) => step.kind === kind);
}

/** The databases on ESS's Postgres whose names start with `synapse`. */
async function synapseDatabases(ess: EssSandbox): Promise<string[]> {
  return lines(await psqlAt(ess.postgres('postgres'), `SELECT datname FROM pg_database WHERE datname LIKE 'synapse%' ORDER BY datname`));
}

/** The users rows of one of the server's databases (Synapse's schema), sorted, and its schema version. */
async function synapseRows(ess: EssSandbox, database: string): Promise<{ users: string[]; schemaVersion: number }> {
  const users = lines(await psqlAt(ess.postgres(database), 'SELECT name FROM users WHERE deactivated = 0 ORDER BY name'));
  const schemaVersion = Number(lines(await psqlAt(ess.postgres(database), 'SELECT version FROM schema_version'))[0]);
  return { users, schemaVersion };
}

/** The app rows (user id, token, device; `(none)` for a row without) in key order. */
async function appRows(ess: EssSandbox): Promise<string[]> {
  const row = `coalesce(nullif(concat_ws(' ', "matrixUserId", "matrixAccessToken", "matrixDeviceId"), ''), '(none)')`;
  return lines(await psqlAt(databaseUrl(), `SELECT ${row} FROM "${ess.schema}".users ORDER BY id`));
}

/** The admin token the .env target holds now. */
async function dotenvAdminToken(ess: EssSandbox): Promise<string> {
  return /^MATRIX_ADMIN_ACCESS_TOKEN=(.*)$/m.exec(await readFile(join(ess.dir, '.env'), 'utf8'))?.[1] ?? '';
}

/** Whom Synapse (through its Service) says each token is: a user id or M_UNKNOWN_TOKEN. */
function owners(ess: EssSandbox, tokens: readonly string[]): Promise<string[]> {
  return Promise.all(tokens.map((token) => tokenOwner(ess.synapseUrl, token)));
}

/** The password bootstrap-admin derives for a run (to check it appears nowhere). */
function bootstrapPassword(ess: EssSandbox, runId: string): string {
  return createHmac('sha256', ess.sharedSecret)
    .update(`matrix-reset bootstrap ${runId} ${ess.admin.userId}`)
    .digest('base64url');
}

/** What a finished full reset leaves, read from outside (Synapse's API, psql on both databases, kubectl, the .env). */
async function endState(ess: EssSandbox, runId: string, claimUidBefore: string) {
  const run = await journal(ess, runId);
  const newAdminToken = await dotenvAdminToken(ess);
  outputs.secrets.push(newAdminToken, bootstrapPassword(ess, runId));
  outputs.texts.push(await journalText(runId));
  return {
    run: run.state,
    steps: run.steps.map((step) => `${step.kind}: ${step.state}`),
    oldTokens: await owners(ess, [ess.admin.accessToken, ...ess.users.map((u) => u.accessToken)]),
    newAdminToken: (await owners(ess, [newAdminToken]))[0],
    databases: await synapseDatabases(ess),
    backup: await synapseRows(ess, `${ESS_SYNAPSE_DATABASE}__mr_${runId}`),
    fresh: await synapseRows(ess, ESS_SYNAPSE_DATABASE),
    mediaClaimKept: (await ess.mediaClaimUid()) === claimUidBefore,
    appRows: await appRows(ess),
  };
}

function expectedEndState(ess: EssSandbox, runId: string, planned: readonly string[]) {
  return {
    run: 'finished',
    steps: planned.map((kind) => `${kind}: finished`),
    oldTokens: [ess.admin, ...ess.users].map(() => 'M_UNKNOWN_TOKEN'),
    newAdminToken: ess.admin.userId,
    databases: [ESS_SYNAPSE_DATABASE, `${ESS_SYNAPSE_DATABASE}__mr_${runId}`].sort(),
    backup: { users: [ess.admin, ...ess.users].map((u) => u.userId).sort(), schemaVersion: expect.any(Number) as number },
    fresh: { users: [ess.admin.userId], schemaVersion: expect.any(Number) as number },
    mediaClaimKept: true,
    appRows: [...ess.users.map(() => '(none)'), '(none)'],
  };
}

function plannedKinds(planRun: CliRun): string[] {
  return (JSON.parse(planRun.stdout) as { plan: { steps: { kind: string }[] } }).plan.steps.map((s) => s.kind);
}

// --- killing the CLI at points chosen from outside (as chaos-kill.integration.test.ts does) ---

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Lets the CLI run in slices of a few milliseconds until `condition` holds, reading while the process is frozen
 * (SIGSTOP); returns with it still frozen, in exactly the state the condition saw.
 */
async function stepUntil(cli: StartedCli, what: string, condition: () => Promise<boolean>): Promise<void> {
  let exited = false;
  void cli.done.then(() => (exited = true));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited || !signal(cli.pid, 'SIGSTOP')) break;
    let met = false;
    try {
      met = await condition();
    } finally {
      if (!met) signal(cli.pid, 'SIGCONT');
    }
    if (met) return;
    await sleep(3);
  }
  if (!exited) signal(cli.pid, 'SIGKILL');
  const run = await cli.done;
  throw new Error(`the CLI was never ${what}: it exited ${run.code}\n${run.stderr.slice(-2000)}`);
}

/**
 * The newest run's step of `kind` is in one of `states`, attempted more than `attemptsBefore` times (a step a killed
 * process left `started` is still `started` when the next one begins: only a new attempt is this process's).
 */
function stepIn(ess: EssSandbox, kind: string, states: readonly string[], attemptsBefore = 0): () => Promise<boolean> {
  return async () => {
    const [runId] = await runIds(ess);
    if (runId === undefined) return false;
    const step = stepOf((await journal(ess, runId)).steps, kind);
    return step !== undefined && states.includes(step.state) && step.attempts > attemptsBefore;
  };
}

function attemptsOf(steps: readonly Step[], kind: string): number {
  return stepOf(steps, kind)?.attempts ?? 0;
}

/** Kills the frozen CLI once `condition` holds; the journal as it died. */
async function killWhen(ess: EssSandbox, started: StartedCli, what: string, condition: () => Promise<boolean>): Promise<Step[]> {
  await stepUntil(started, what, condition);
  signal(started.pid, 'SIGKILL');
  outputs.runs.push(await started.done);
  expect(started.child.signalCode, what).toBe('SIGKILL');
  const [runId] = await runIds(ess);
  return (await journal(ess, runId ?? '')).steps;
}

// --- the scenarios ---

interface Main {
  ess: EssSandbox;
  refusals: { role: CliRun; podConfig: CliRun; unreachable: CliRun };
  planRun: CliRun;
  apply: CliRun;
  runId: string;
  end: Awaited<ReturnType<typeof endState>>;
  verify: CliRun;
  provisioned: { source: string; owner: string; row: string };
  rollback: CliRun;
  afterRollback: { adminToken: string; oldTokens: string[]; databases: string[]; users: string[]; appRows: string[] };
}

async function mainScenario(): Promise<Main> {
  const ess = await plant();
  const generated = `k8s-secret:ess/ess-generated`;
  const role = await cli(ess, [
    'plan',
    '--mode',
    'full-reset',
    '--config',
    await ess.writeConfig('synapse-user.yaml', { database: `{ host: ${ess.postgres('x').host}, user: synapse_user, password: "${generated}#POSTGRES_SYNAPSE_PASSWORD" }` }),
    '--out',
    join(ess.dir, 'refused.plan.json'),
  ]);
  const podConfig = await cli(ess, [
    'plan',
    '--mode',
    'full-reset',
    '--config',
    await ess.writeConfig('pod-config.yaml', {
      database: `{ host: ${ess.postgres('x').host}, user: postgres, password: "${generated}#POSTGRES_ADMIN_PASSWORD" }`,
      homeserverConfig: '{ pod: /conf/homeserver.yaml }',
    }),
    '--out',
    join(ess.dir, 'refused.plan.json'),
  ]);
  const unreachable = await cli(ess, [
    'plan',
    '--mode',
    'full-reset',
    '--config',
    await ess.writeConfig('unreachable.yaml', { database: `{ host: 127.0.0.1, port: 1, user: postgres, password: "${generated}#POSTGRES_ADMIN_PASSWORD" }` }),
    '--out',
    join(ess.dir, 'refused.plan.json'),
  ]);

  const claimUid = await ess.mediaClaimUid();
  const planFile = join(ess.dir, 'full-reset.plan.json');
  const planRun = await cli(ess, ['plan', '--mode', 'full-reset', '--out', planFile, '--json']);
  if (planRun.code !== 0) throw new Error(`plan failed (${planRun.code}): ${planRun.stderr}`);
  outputs.texts.push(await readFile(planFile, 'utf8'));
  const apply = await cli(ess, ['apply', planFile, '--yes', '--json']);
  if (apply.code !== 0) throw new Error(`apply failed (${apply.code}): ${apply.stderr.slice(-3000)}`);
  const runId = (JSON.parse(apply.stdout) as { run: { id: string } }).run.id;
  const end = await endState(ess, runId, claimUid);
  const verify = await cli(ess, ['verify', '--json']);

  // The app provisions a user again, as it does on its next request: through the library, with the new admin token.
  const connection = await connect(ess);
  const { environment } = connection;
  let provisioned: Main['provisioned'];
  try {
    const ensured = await ensureCredentials(
      { db: connection.db, layout: environment.appDatabase.layout, synapse: connection.synapse, serverName: environment.synapse.serverName },
      { schema: ess.schema, appUserKey: ess.keys[0]! },
    );
    outputs.secrets.push(ensured.accessToken.reveal());
    provisioned = { source: ensured.source, owner: (await owners(ess, [ensured.accessToken.reveal()]))[0]!, row: (await appRows(ess))[0]! };
  } finally {
    await connection.close();
  }

  const rollback = await cli(ess, ['rollback', runId, '--yes', '--json']);
  outputs.texts.push(await journalText(runId));
  const adminToken = await dotenvAdminToken(ess);
  return {
    ess,
    refusals: { role, podConfig, unreachable },
    planRun,
    apply,
    runId,
    end,
    verify,
    provisioned,
    rollback,
    afterRollback: {
      adminToken,
      oldTokens: await owners(ess, [adminToken, ess.users[1]!.accessToken]),
      databases: await synapseDatabases(ess),
      users: (await synapseRows(ess, ESS_SYNAPSE_DATABASE)).users,
      appRows: await appRows(ess),
    },
  };
}

interface InUse {
  ess: EssSandbox;
  runId: string;
  /** The databases when the leftover session was opened (the apply frozen in backup-synapse-database). */
  databasesAtOpen: string[];
  leftoverPid: number;
  apply: CliRun;
  failedStep: Step | undefined;
  resume: CliRun;
  end: Awaited<ReturnType<typeof endState>>;
  planned: string[];
}

/** A psql session on Synapse's database as synapse_user, held open (stdin) until killed; its backend pid. */
async function holdSession(ess: EssSandbox): Promise<{ child: ChildProcess; pid: number }> {
  const password = (await ess.cluster.secret('ess', 'ess-generated'))['POSTGRES_SYNAPSE_PASSWORD'] ?? '';
  const { host } = ess.postgres(ESS_SYNAPSE_DATABASE);
  const child = spawn('psql', ['-X', '-q', '-h', host, '-U', 'synapse_user', '-d', ESS_SYNAPSE_DATABASE], {
    env: { ...process.env, PGPASSWORD: password, PGAPPNAME: 'leftover-session' },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [pid] = lines(await psqlAt(ess.postgres('postgres'), `SELECT pid FROM pg_stat_activity WHERE application_name = 'leftover-session'`));
    if (pid !== undefined) return { child, pid: Number(pid) };
    await sleep(50);
  }
  child.kill();
  throw new Error('the leftover psql session never showed in pg_stat_activity');
}

async function inUseScenario(): Promise<InUse> {
  const ess = await plant();
  const claimUid = await ess.mediaClaimUid();
  const planFile = await planFullReset(ess);
  const planned = (JSON.parse(await readFile(planFile, 'utf8')) as { plan: { steps: { kind: string }[] } }).plan.steps.map((s) => s.kind);
  const started = startCli(['apply', planFile, '--yes', '--json'], { env: ess.env, cwd: ess.dir });
  // Frozen as the step begins (Synapse is stopped, the database not yet renamed): a session of ours arrives.
  await stepUntil(started, 'in backup-synapse-database', stepIn(ess, 'backup-synapse-database', ['started']));
  let session: { child: ChildProcess; pid: number };
  let databasesAtOpen: string[];
  try {
    databasesAtOpen = await synapseDatabases(ess);
    session = await holdSession(ess);
  } finally {
    signal(started.pid, 'SIGCONT');
  }
  const apply = await started.done;
  outputs.runs.push(apply);
  const [runId = ''] = await runIds(ess);
  const failedStep = stepOf((await journal(ess, runId)).steps, 'backup-synapse-database');
  session.child.kill();
  await new Promise((resolve) => session.child.once('exit', resolve));
  const resume = await cli(ess, ['resume', runId, '--json']);
  const end = await endState(ess, runId, claimUid);
  return { ess, runId, databasesAtOpen, leftoverPid: session.pid, apply, failedStep, resume, end, planned };
}

interface Crashes {
  ess: EssSandbox;
  runId: string;
  kills: Step[][];
  resumes: CliRun[];
  end: Awaited<ReturnType<typeof endState>>;
  final: Step[];
  planned: string[];
  verify: CliRun;
}

async function crashScenario(): Promise<Crashes> {
  const ess = await plant();
  const claimUid = await ess.mediaClaimUid();
  const planFile = await planFullReset(ess);
  const planned = (JSON.parse(await readFile(planFile, 'utf8')) as { plan: { steps: { kind: string }[] } }).plan.steps.map((s) => s.kind);
  const kills: Step[][] = [];
  const resumes: CliRun[] = [];
  kills.push(await killWhen(ess, startCli(['apply', planFile, '--yes', '--json'], { env: ess.env, cwd: ess.dir }), 'inside backup-synapse-database', stepIn(ess, 'backup-synapse-database', ['started'])));
  const [runId = ''] = await runIds(ess);
  const resume = (): StartedCli => {
    const started = startCli(['resume', runId, '--json'], { env: ess.env, cwd: ess.dir });
    void started.done.then((run) => resumes.push(run));
    return started;
  };
  kills.push(await killWhen(ess, resume(), 'after backup-synapse-database', stepIn(ess, 'backup-synapse-database', ['finished'])));
  kills.push(await killWhen(ess, resume(), 'inside create-synapse-database', stepIn(ess, 'create-synapse-database', ['started'], attemptsOf(kills.at(-1)!, 'create-synapse-database'))));
  kills.push(await killWhen(ess, resume(), 'after create-synapse-database', stepIn(ess, 'create-synapse-database', ['finished'])));
  const last = await resume().done;
  outputs.runs.push(last);
  if (last.code !== 0) throw new Error(`the last resume failed (${last.code}): ${last.stderr.slice(-3000)}`);
  const end = await endState(ess, runId, claimUid);
  const verify = await cli(ess, ['verify', '--json']);
  return { ess, runId, kills, resumes, end, final: (await journal(ess, runId)).steps, planned, verify };
}

let main: Main;
let inUse: InUse;
let crashes: Crashes;

beforeAll(async () => {
  // Three clusters side by side, each with its own Synapse and Postgres: the in-use scenario waits out the step's
  // 30 s for the session to go while the others run.
  [main, inUse, crashes] = await Promise.all([mainScenario(), inUseScenario(), crashScenario()]);
}, 400_000);

afterAll(async () => {
  for (const connection of connections.values()) await connection.close();
  await Promise.all(clusters.map((cluster) => cluster.stop()));
});

describe('full reset of ESS (Synapse StatefulSet on its own Postgres StatefulSet)', () => {
  it('plans the database swap with the claim kept: no delete-pvc, no volume-snapshot', () => {
    expect(plannedKinds(main.planRun)).toEqual([
      'snapshot-credentials',
      'backup-secrets',
      'scale-down',
      'backup-synapse-database',
      'create-synapse-database',
      'scale-up',
      'bootstrap-admin',
      'write-admin-token',
      'restart-workloads',
      'clear-credentials',
      'verify',
    ]);
  });

  it('apply kills every old token, keeps the old database as <db>__mr_<run id> with the old users, and Synapse starts on a fresh one holding only the new admin; the media claim stays', () => {
    expect(main.end).toEqual(expectedEndState(main.ess, main.runId, plannedKinds(main.planRun)));
  });

  it('verify passes after the reset', () => {
    expect(main.verify.code, main.verify.stderr).toBe(0);
    expect((JSON.parse(main.verify.stdout) as { ok?: boolean }).ok).toBe(true);
  });

  it('the app provisions a cleared user again with the new admin token', () => {
    // The row was cleared, so the app makes its Matrix user anew (OpenMeet's localpart from the slug and tenant) and stores it.
    const [userId, token, device] = main.provisioned.row.split(' ');
    expect(main.provisioned).toMatchObject({ source: 'created', owner: userId });
    expect(userId).toMatch(/^@u0_ess_/);
    expect(token).toMatch(/^syt_/);
    void device;
  });

  it('rollback brings the old database back: the old admin token and an old user token work again, the backup name is gone', () => {
    expect(main.rollback.code, main.rollback.stderr.slice(-3000)).toBe(0);
    const { ess } = main;
    expect(main.afterRollback).toMatchObject({
      adminToken: ess.admin.accessToken,
      oldTokens: [ess.admin.userId, ess.users[1]!.userId],
      databases: [ESS_SYNAPSE_DATABASE],
      users: [ess.admin, ...ess.users].map((u) => u.userId).sort(),
    });
    // The rows the reset cleared hold their tokens again; the one the app provisioned since keeps the app's.
    expect(main.afterRollback.appRows.slice(1)).toEqual([...ess.users.slice(1).map((u) => `${u.userId} ${u.accessToken} ${u.deviceId}`), '(none)']);
  });
});

describe('refusals', () => {
  it('a role without CREATEDB is refused at plan time, naming the ALTER that fixes it', () => {
    const run = main.refusals.role;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error[environment_incapable]');
    expect(run.stderr).toContain("Role synapse_user cannot replace Synapse's database synapse: it lacks CREATEDB");
    expect(run.stderr).toContain('ALTER ROLE "synapse_user" CREATEDB;');
    expect(run.stderr).not.toContain('ALTER DATABASE');
  });

  it('homeserver.yaml read from the pod the reset stops is refused, naming where to read it instead', () => {
    const run = main.refusals.podConfig;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is read from Synapse's pod, which the full reset stops before it reaches the database");
    expect(run.stderr).toContain('synapse.homeserverConfig');
  });

  it('a database server it cannot reach is refused, naming synapse.database and --allow-external-database', () => {
    const run = main.refusals.unreachable;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("resets Synapse's Postgres database, and matrix-reset cannot reach it");
    expect(run.stderr).toContain('--allow-external-database');
  });

  it('a session left on the database once Synapse is stopped fails backup-synapse-database with database_in_use naming it', () => {
    expect(inUse.databasesAtOpen).toEqual([ESS_SYNAPSE_DATABASE]);
    expect(inUse.apply.code).toBe(1);
    const { error } = JSON.parse(inUse.apply.stdout) as { error: { code: string; message: string; nextSteps: string[] } };
    expect(error.code).toBe('database_in_use');
    expect(error.message).toMatch(new RegExp(`^Database synapse still has 1 session: pid ${inUse.leftoverPid} \\(synapse_user, leftover-session from [\\d.]+\\)$`));
    expect(error.nextSteps.join(' ')).toContain('Stop every process using it first');
    expect(inUse.failedStep?.state).toBe('failed');
  });

  it('resume, once that session is closed, finishes in the same end state', () => {
    expect(inUse.resume.code, inUse.resume.stderr.slice(-3000)).toBe(0);
    expect(inUse.end).toEqual(expectedEndState(inUse.ess, inUse.runId, inUse.planned));
  });
});

describe('crashes at the database steps', () => {
  it('the kills landed inside backup-synapse-database, right after it, inside create-synapse-database and right after it', () => {
    const at = (kill: Step[], kind: string) => stepOf(kill, kind)?.state ?? 'not started';
    // Right after backup-synapse-database finished, create-synapse-database may have begun: its journal row comes at once.
    expect(crashes.kills.map((kill) => [at(kill, 'backup-synapse-database'), at(kill, 'create-synapse-database')])).toEqual([
      ['started', 'not started'],
      ['finished', expect.stringMatching(/^(not started|started)$/) as string],
      ['finished', 'started'],
      ['finished', 'finished'],
    ]);
    // Each kill came after the process it killed had started a step of its own.
    expect(attemptsOf(crashes.kills[2]!, 'create-synapse-database')).toBe(attemptsOf(crashes.kills[1]!, 'create-synapse-database') + 1);
  });

  it('resumed to the same end state as an uninterrupted reset, verify passing', () => {
    expect(crashes.end).toEqual(expectedEndState(crashes.ess, crashes.runId, crashes.planned));
    expect(crashes.verify.code, crashes.verify.stderr).toBe(0);
  });

  it('no finished step ran again; each interrupted one ran once more', () => {
    for (const kill of crashes.kills) {
      for (const step of kill.filter((s) => s.state === 'finished')) {
        expect(stepOf(crashes.final, step.kind), `${step.kind} finished before a kill`).toMatchObject({ attempts: step.attempts, finishedAt: step.finishedAt });
      }
    }
    const interrupted = (kind: string) => crashes.kills.filter((kill) => stepOf(kill, kind)?.state === 'started').length;
    expect(crashes.final.map((step) => `${step.kind}: ${step.attempts}`)).toEqual(crashes.final.map((step) => `${step.kind}: ${1 + interrupted(step.kind)}`));
  });
});

describe('secrets', () => {
  it('no password, token or shared secret appears in any output, plan file or journal row', () => {
    const secrets = outputs.secrets.filter((secret) => secret.length >= 8);
    expect(secrets.length).toBeGreaterThan(10);
    for (const run of outputs.runs) expect(leakedSecrets(run, secrets)).toEqual([]);
    for (const text of outputs.texts) expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
  });
});

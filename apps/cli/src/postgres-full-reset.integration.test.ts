import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { connectEnvironment, ensureCredentials, loadResetConfig, resolveEnvironment, type EnvironmentConnection } from '@matrix-reset/reset-core';
import { journaledRun, journaledRunIds, tokenOwner, type JournaledStep } from '@matrix-reset/reset-core/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScenarioCluster, type ScenarioCluster } from './test-support/kube-sim-scenario.ts';
import { databaseUrl } from './test-support/openmeet-database.ts';
import { lines, plantAnanace, plantEss, psqlAt, type PostgresSynapseSandbox } from './test-support/postgres-synapse.ts';
import { signal, startCli, stepUntil, type StartedCli } from './test-support/run-cli-tty.ts';
import { leakedSecrets, type CliRun } from './test-support/run-cli.ts';

const exec = promisify(execFile);

/*
 * The full reset of a Synapse on Postgres, end to end through the real CLI, read from outside, in two shapes:
 *   ess:     Element Server Suite's matrix-stack (kube-sim's synapse-ess: StatefulSet ess-synapse-main beside a real
 *            Postgres in StatefulSet ess-postgres); matrix-reset reaches the database as `postgres` at the Service's
 *            ClusterIP, its password in Secret ess-generated, and reads homeserver.yaml from Secret ess-synapse;
 *   ananace: the ananace chart with an external database (synapse-ananace: Deployment matrix-synapse and a generic
 *            worker on Redis, the database ks_<hex>_synapse on the sandbox's Postgres); matrix-reset reaches it there
 *            as its owner role (CREATEDB), reads the chart's Secret config.yaml, and stops the worker by its selector.
 * Six clusters side by side, each its own kube-sim process:
 *   main (both shapes):    plan, apply, the end state, verify, the app provisioning again, rollback; for ess first
 *                          the refused plans (a role that cannot replace the database, homeserver.yaml from the
 *                          stopped pod, an unreachable server);
 *   crashes (both shapes): apply and its resumes killed with SIGKILL inside backup-synapse-database, right after it,
 *                          inside create-synapse-database and right after it, then resumed to the end;
 *   in use (ess):          a session of ours left on Synapse's database once Synapse is stopped: backup-synapse-database
 *                          fails with database_in_use naming it; resumed once it is closed;
 *   dump (ess):            reached as synapse_user (the owner, no CREATEDB) with a dump directory: pg_dump and the
 *                          database emptied in place, killed inside dump-synapse-database and right after it,
 *                          resumed, verified, rolled back from the dump.
 */

type Sandbox = PostgresSynapseSandbox;

/** Every CLI run, plan file and journal text, to scan for secrets at the end. */
const outputs: { runs: CliRun[]; texts: string[]; secrets: string[] } = { runs: [], texts: [], secrets: [] };
const clusters: ScenarioCluster[] = [];

/** Runs the CLI to its end (no time limit of its own: an apply waits for Synapse to start on its new database). */
async function cli(ess: Sandbox, args: readonly string[]): Promise<CliRun> {
  const run = await startCli(args, { env: ess.env, cwd: ess.dir }).done;
  outputs.runs.push(run);
  return run;
}

async function plant(shape: Sandbox['shape']): Promise<Sandbox> {
  const cluster = await startScenarioCluster(`synapse-${shape}`);
  clusters.push(cluster);
  const ess = await (shape === 'ess' ? plantEss : plantAnanace)(cluster);
  outputs.secrets.push(...ess.secrets);
  connections.set(ess, await connect(ess));
  return ess;
}

/** Writes a full-reset plan; its path. */
async function planFullReset(ess: Sandbox, name = 'full-reset.plan.json'): Promise<string> {
  const file = join(ess.dir, name);
  const run = await cli(ess, ['plan', '--mode', 'full-reset', '--out', file, '--json']);
  if (run.code !== 0) throw new Error(`plan failed (${run.code}): ${run.stderr}`);
  outputs.texts.push(await readFile(file, 'utf8'));
  return file;
}

// --- reads from outside ---

/** A connection to the environment (through the library), for the journal reads: quick enough to poll a frozen CLI. */
async function connect(ess: Sandbox): Promise<EnvironmentConnection> {
  return connectEnvironment(resolveEnvironment(await loadResetConfig({ path: ess.configPath }), ess.environment));
}

/** Each planted environment's connection (closed in afterAll). */
const connections = new Map<Sandbox, EnvironmentConnection>();

function dbOf(ess: Sandbox): EnvironmentConnection['db'] {
  const connection = connections.get(ess);
  if (connection === undefined) throw new Error(`no connection for ${ess.environment}`);
  return connection.db;
}

/** The environment's run ids in the journal, newest first. */
function runIds(ess: Sandbox): Promise<string[]> {
  return journaledRunIds(dbOf(ess), ess.environment);
}

type Step = Pick<JournaledStep, 'kind' | 'state' | 'attempts' | 'finishedAt'>;

/** The journaled steps of a run, in plan order, and its state. */
async function journal(ess: Sandbox, runId: string): Promise<{ state: string; steps: Step[] }> {
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

/** Synapse's database and its backups (`<db>__mr_<run>`) on its server. */
async function synapseDatabases(ess: Sandbox): Promise<string[]> {
  return lines(await psqlAt(ess.postgres('postgres'), `SELECT datname FROM pg_database WHERE datname = '${ess.database}' OR starts_with(datname, '${ess.database}__mr_') ORDER BY datname`));
}

/** The users rows of one of the server's databases (Synapse's schema), sorted, and its schema version. */
async function synapseRows(ess: Sandbox, database: string): Promise<{ users: string[]; schemaVersion: number }> {
  const users = lines(await psqlAt(ess.postgres(database), 'SELECT name FROM users WHERE deactivated = 0 ORDER BY name'));
  const schemaVersion = Number(lines(await psqlAt(ess.postgres(database), 'SELECT version FROM schema_version'))[0]);
  return { users, schemaVersion };
}

/** The app rows (user id, token, device; `(none)` for a row without) in key order. */
async function appRows(ess: Sandbox): Promise<string[]> {
  const row = `coalesce(nullif(concat_ws(' ', "matrixUserId", "matrixAccessToken", "matrixDeviceId"), ''), '(none)')`;
  return lines(await psqlAt(databaseUrl(), `SELECT ${row} FROM "${ess.schema}".users ORDER BY id`));
}

/** The admin token the .env target holds now. */
async function dotenvAdminToken(ess: Sandbox): Promise<string> {
  return /^MATRIX_ADMIN_ACCESS_TOKEN=(.*)$/m.exec(await readFile(join(ess.dir, '.env'), 'utf8'))?.[1] ?? '';
}

/** Whom Synapse (through its Service) says each token is: a user id or M_UNKNOWN_TOKEN. */
function owners(ess: Sandbox, tokens: readonly string[]): Promise<string[]> {
  return Promise.all(tokens.map((token) => tokenOwner(ess.synapseUrl, token)));
}

/** The password bootstrap-admin derives for a run (to check it appears nowhere). */
function bootstrapPassword(ess: Sandbox, runId: string): string {
  return createHmac('sha256', ess.sharedSecret)
    .update(`matrix-reset bootstrap ${runId} ${ess.admin.userId}`)
    .digest('base64url');
}

/** What a finished full reset leaves, read from outside (Synapse's API, psql on both databases, kubectl, the .env). */
async function endState(ess: Sandbox, runId: string, claimUidBefore: string) {
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
    backup: await synapseRows(ess, `${ess.database}__mr_${runId}`),
    fresh: await synapseRows(ess, ess.database),
    mediaClaimKept: (await ess.mediaClaimUid()) === claimUidBefore,
    appRows: await appRows(ess),
  };
}

function expectedEndState(ess: Sandbox, runId: string, planned: readonly string[]) {
  return {
    run: 'finished',
    steps: planned.map((kind) => `${kind}: finished`),
    oldTokens: [ess.admin, ...ess.users].map(() => 'M_UNKNOWN_TOKEN'),
    newAdminToken: ess.admin.userId,
    databases: [ess.database, `${ess.database}__mr_${runId}`].sort(),
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


/**
 * The newest run's step of `kind` is in one of `states`, attempted more than `attemptsBefore` times (a step a killed
 * process left `started` is still `started` when the next one begins: only a new attempt is this process's).
 */
function stepIn(ess: Sandbox, kind: string, states: readonly string[], attemptsBefore = 0): () => Promise<boolean> {
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
async function killWhen(ess: Sandbox, started: StartedCli, what: string, condition: () => Promise<boolean>): Promise<Step[]> {
  await stepUntil(started, what, condition);
  signal(started.pid, 'SIGKILL');
  outputs.runs.push(await started.done);
  expect(started.child.signalCode, what).toBe('SIGKILL');
  const [runId] = await runIds(ess);
  return (await journal(ess, runId ?? '')).steps;
}

// --- the scenarios ---

interface Main {
  ess: Sandbox;
  planRun: CliRun;
  apply: CliRun;
  runId: string;
  end: Awaited<ReturnType<typeof endState>>;
  verify: CliRun;
  provisioned: { source: string; owner: string; row: string };
  rollback: CliRun;
  afterRollback: { adminToken: string; oldTokens: string[]; databases: string[]; users: string[]; appRows: string[] };
}

interface Refusals {
  role: CliRun;
  podConfig: CliRun;
  unreachable: CliRun;
}

/** Plans ESS's cluster refuses: as synapse_user (owner, no CREATEDB), homeserver.yaml from the pod, a server it cannot reach. */
async function essRefusals(ess: Sandbox): Promise<Refusals> {
  const generated = `k8s-secret:ess/ess-generated`;
  const { host } = ess.postgres('postgres');
  const refusedPlan = async (name: string, options: Parameters<Sandbox['writeConfig']>[1]) =>
    cli(ess, ['plan', '--mode', 'full-reset', '--config', await ess.writeConfig(name, options), '--out', join(ess.dir, 'refused.plan.json')]);
  return {
    role: await refusedPlan('synapse-user.yaml', { database: `{ host: ${host}, user: synapse_user, password: "${generated}#POSTGRES_SYNAPSE_PASSWORD" }` }),
    podConfig: await refusedPlan('pod-config.yaml', { database: ess.databaseConfig, homeserverConfig: '{ pod: /conf/homeserver.yaml }' }),
    unreachable: await refusedPlan('unreachable.yaml', { database: `{ host: 127.0.0.1, port: 1, user: postgres, password: "${generated}#POSTGRES_ADMIN_PASSWORD" }` }),
  };
}

/** Plan, apply, the end state, verify, the app provisioning again, rollback and what it brought back. */
async function mainScenario(ess: Sandbox): Promise<Main> {
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
      users: (await synapseRows(ess, ess.database)).users,
      appRows: await appRows(ess),
    },
  };
}

interface InUse {
  ess: Sandbox;
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

/** A psql session on Synapse's database as Synapse's role, held open (stdin) until killed; its backend pid. */
async function holdSession(ess: Sandbox): Promise<{ child: ChildProcess; pid: number }> {
  const { host, port } = ess.postgres(ess.database);
  const child = spawn('psql', ['-X', '-q', '-h', host, '-p', String(port), '-U', ess.synapseRole.user, '-d', ess.database], {
    env: { ...process.env, PGPASSWORD: ess.synapseRole.password, PGAPPNAME: 'leftover-session' },
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

async function inUseScenario(ess: Sandbox): Promise<InUse> {
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
  ess: Sandbox;
  runId: string;
  kills: Step[][];
  resumes: CliRun[];
  end: Awaited<ReturnType<typeof endState>>;
  final: Step[];
  planned: string[];
  verify: CliRun;
}

async function crashScenario(ess: Sandbox): Promise<Crashes> {
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

interface Dumped {
  ess: Sandbox;
  runId: string;
  planRun: CliRun;
  planned: string[];
  kills: Step[][];
  resumes: CliRun[];
  end: {
    run: string;
    steps: string[];
    oldTokens: string[];
    newAdminToken: string;
    databases: string[];
    dump: { mode: string; tables: string[] };
    leftovers: string[];
    fresh: { users: string[]; schemaVersion: number };
    appRows: string[];
  };
  verify: CliRun;
  rollback: CliRun;
  afterRollback: { adminToken: string; oldTokens: string[]; databases: string[]; users: string[] };
  prune: CliRun;
  /** The dump directory's files after the prune. */
  afterPrune: string[];
}

/**
 * ESS reached as synapse_user, the database's owner without CREATEDB, with a dump directory: the plan dumps the
 * database and empties it in place; apply killed inside dump-synapse-database and right after it, resumed to the end;
 * verify; rollback restores the dump; prune deletes it.
 */
async function dumpScenario(ess: Sandbox): Promise<Dumped> {
  const dumps = join(ess.dir, 'dumps');
  const { host } = ess.postgres('postgres');
  const config = await ess.writeConfig('dump.yaml', {
    database: `{ host: ${host}, user: synapse_user, password: "k8s-secret:ess/ess-generated#POSTGRES_SYNAPSE_PASSWORD", dumpDirectory: ${dumps} }`,
  });
  const planFile = join(ess.dir, 'dump.plan.json');
  const planRun = await cli(ess, ['plan', '--mode', 'full-reset', '--config', config, '--out', planFile, '--json']);
  if (planRun.code !== 0) throw new Error(`plan failed (${planRun.code}): ${planRun.stderr}`);
  outputs.texts.push(await readFile(planFile, 'utf8'));
  const planned = plannedKinds(planRun);
  const kills: Step[][] = [];
  const resumes: CliRun[] = [];
  const start = (args: string[]) => startCli([...args, '--config', config, '--json'], { env: ess.env, cwd: ess.dir });
  kills.push(await killWhen(ess, start(['apply', planFile, '--yes']), 'inside dump-synapse-database', stepIn(ess, 'dump-synapse-database', ['started'])));
  const [runId = ''] = await runIds(ess);
  const resume = (): StartedCli => {
    const started = start(['resume', runId]);
    void started.done.then((run) => resumes.push(run));
    return started;
  };
  kills.push(await killWhen(ess, resume(), 'after dump-synapse-database', stepIn(ess, 'dump-synapse-database', ['finished'])));
  const last = await resume().done;
  outputs.runs.push(last);
  if (last.code !== 0) throw new Error(`the last resume failed (${last.code}): ${last.stderr.slice(-3000)}`);

  const file = join(dumps, `${ess.database}__mr_${runId}.dump`);
  const run = await journal(ess, runId);
  const newAdminToken = await dotenvAdminToken(ess);
  outputs.secrets.push(newAdminToken, bootstrapPassword(ess, runId));
  outputs.texts.push(await journalText(runId));
  // From outside: the file's mode, and pg_restore's table of contents (the tables it would restore).
  const { stdout: listing } = await exec('pg_restore', ['--list', file]);
  const end: Dumped['end'] = {
    run: run.state,
    steps: run.steps.map((step) => `${step.kind}: ${step.state}`),
    oldTokens: await owners(ess, [ess.admin.accessToken, ...ess.users.map((u) => u.accessToken)]),
    newAdminToken: (await owners(ess, [newAdminToken]))[0]!,
    databases: await synapseDatabases(ess),
    dump: {
      mode: ((await stat(file)).mode & 0o777).toString(8),
      tables: listing.split('\n').flatMap((line) => /TABLE public (users|access_tokens|schema_version) /.exec(line)?.[1] ?? []),
    },
    leftovers: (await readdir(dumps)).filter((name) => name !== basename(file)),
    fresh: await synapseRows(ess, ess.database),
    appRows: await appRows(ess),
  };
  const verify = await cli(ess, ['verify', '--config', config, '--json']);
  const rollback = await cli(ess, ['rollback', runId, '--config', config, '--yes', '--json']);
  outputs.texts.push(await journalText(runId));
  const adminToken = await dotenvAdminToken(ess);
  const afterRollback = {
    adminToken,
    oldTokens: await owners(ess, [adminToken, ess.users[1]!.accessToken]),
    databases: await synapseDatabases(ess),
    users: (await synapseRows(ess, ess.database)).users,
  };
  const prune = await cli(ess, ['prune', '--older-than', '0m', '--config', config, '--yes', '--json']);
  return {
    ess,
    runId,
    planRun,
    planned,
    kills,
    resumes,
    end,
    verify,
    rollback,
    afterRollback,
    prune,
    afterPrune: await readdir(dumps),
  };
}

const SHAPES = ['ess', 'ananace'] as const;
const results = {} as Record<(typeof SHAPES)[number], { main: Main; crashes: Crashes }>;
let refusals: Refusals;
let inUse: InUse;
let dumped: Dumped;
/** ananace's plan made without kubernetes.workers.selector. */
let withoutWorkers: CliRun;

beforeAll(async () => {
  // Six clusters side by side, each with its own Synapse and Postgres database: the in-use scenario waits out the
  // step's 30 s for the session to go while the others run.
  const withSandbox = <T>(shape: Sandbox['shape'], run: (ess: Sandbox) => Promise<T>) => plant(shape).then(run);
  const settled = await Promise.allSettled([
    withSandbox('ess', async (ess) => {
      refusals = await essRefusals(ess);
      return mainScenario(ess);
    }),
    withSandbox('ess', crashScenario),
    withSandbox('ananace', async (ess) => {
      // Planned first without the workers selector: the generic worker would be left running.
      const file = join(ess.dir, 'no-workers.plan.json');
      withoutWorkers = await cli(ess, ['plan', '--mode', 'full-reset', '--config', await ess.writeConfig('no-workers.yaml', { database: ess.databaseConfig, workers: null }), '--out', file, '--json']);
      return mainScenario(ess);
    }),
    withSandbox('ananace', crashScenario),
    withSandbox('ess', inUseScenario),
    withSandbox('ess', dumpScenario),
  ] as const);
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
  if (failures.length > 0) throw new AggregateError(failures, failures.map((error) => error.message).join('\n---\n'));
  const [essMain, essCrashes, ananaceMain, ananaceCrashes, essInUse, essDumped] = settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as [
    Main,
    Crashes,
    Main,
    Crashes,
    InUse,
    Dumped,
  ];
  results.ess = { main: essMain, crashes: essCrashes };
  results.ananace = { main: ananaceMain, crashes: ananaceCrashes };
  inUse = essInUse;
  dumped = essDumped;
}, 600_000);

afterAll(async () => {
  for (const connection of connections.values()) await connection.close();
  await Promise.all(clusters.map((cluster) => cluster.stop()));
});

describe.each([
  ['ess', 'ESS: Synapse StatefulSet beside its own Postgres StatefulSet'],
  ['ananace', 'ananace: Synapse Deployment and a worker on the Postgres outside the cluster'],
] as const)('full reset of %s (%s)', (shape, _what) => {
  const main = () => results[shape].main;

  it('plans the database swap with the claim kept: no delete-pvc, no volume-snapshot', () => {
    expect(plannedKinds(main().planRun)).toEqual([
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
    expect(main().end).toEqual(expectedEndState(main().ess, main().runId, plannedKinds(main().planRun)));
  });

  it('verify passes after the reset', () => {
    expect(main().verify.code, main().verify.stderr).toBe(0);
    expect((JSON.parse(main().verify.stdout) as { ok?: boolean }).ok).toBe(true);
  });

  it('the app provisions a cleared user again with the new admin token', () => {
    // The row was cleared, so the app makes its Matrix user anew (OpenMeet's localpart from the slug and tenant) and stores it.
    const [userId, token] = main().provisioned.row.split(' ');
    expect(main().provisioned).toMatchObject({ source: 'created', owner: userId });
    expect(userId).toMatch(new RegExp(`^@u0_${shape}_`));
    expect(token).toMatch(/^syt_/);
  });

  it('rollback brings the old database back: the old admin token and an old user token work again, the backup name is gone', () => {
    const { ess, rollback, afterRollback } = main();
    expect(rollback.code, rollback.stderr.slice(-3000)).toBe(0);
    expect(afterRollback).toMatchObject({
      adminToken: ess.admin.accessToken,
      oldTokens: [ess.admin.userId, ess.users[1]!.userId],
      databases: [ess.database],
      users: [ess.admin, ...ess.users].map((u) => u.userId).sort(),
    });
    // The rows the reset cleared hold their tokens again; the one the app provisioned since keeps the app's.
    expect(afterRollback.appRows.slice(1)).toEqual([...ess.users.slice(1).map((u) => `${u.userId} ${u.accessToken} ${u.deviceId}`), '(none)']);
  });
});

describe('workers (ananace)', () => {
  const warnings = (run: CliRun) => (JSON.parse(run.stdout) as { plan: { warnings: string[] } }).plan.warnings;

  it('a plan without the workers selector warns that the generic worker would keep the database in use, naming the selector to add', () => {
    expect(withoutWorkers.code, withoutWorkers.stderr).toBe(0);
    expect(warnings(withoutWorkers).filter((w) => w.includes('looks like a Synapse process'))).toEqual([
      expect.stringMatching(
        /^Deployment matrix-synapse-generic-worker looks like a Synapse process \(it runs synapse\.app\.generic_worker\) and this plan does not stop it: .* name it in kubernetes\.workers\.selector \(e\.g\. app\.kubernetes\.io\/component=generic-worker\)/,
      ) as string,
    ]);
  });

  it('the plan with the selector stops the worker and warns of nothing left running', () => {
    const { planRun } = results.ananace.main;
    expect(warnings(planRun).filter((w) => w.includes('looks like a Synapse process'))).toEqual([]);
    expect((JSON.parse(planRun.stdout) as { plan: { observed: { kubernetes: { workers: { name: string }[] } } } }).plan.observed.kubernetes.workers.map((w) => w.name)).toEqual([
      'matrix-synapse-generic-worker',
    ]);
  });
});

describe('refusals (ESS)', () => {
  it('a role without CREATEDB and no dump directory is refused at plan time, naming the ALTER and the setting that fix it', () => {
    const run = refusals.role;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error[environment_incapable]');
    expect(run.stderr).toContain("Role synapse_user cannot replace Synapse's database synapse: it lacks CREATEDB; nor can it be dumped and emptied in place");
    expect(run.stderr).toContain('ALTER ROLE "synapse_user" CREATEDB;');
    expect(run.stderr).toContain('Or, to back it up with pg_dump instead: Set synapse.database.dumpDirectory');
    expect(run.stderr).not.toContain('ALTER DATABASE');
  });

  it('homeserver.yaml read from the pod the reset stops is refused, naming where to read it instead', () => {
    const run = refusals.podConfig;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is read from Synapse's pod, which the full reset stops before it reaches the database");
    expect(run.stderr).toContain('synapse.homeserverConfig');
  });

  it('a database server it cannot reach is refused, naming synapse.database and --allow-external-database', () => {
    const run = refusals.unreachable;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("resets Synapse's Postgres database, and matrix-reset cannot reach it");
    expect(run.stderr).toContain('--allow-external-database');
  });

  it('a session left on the database once Synapse is stopped fails backup-synapse-database with database_in_use naming it', () => {
    expect(inUse.databasesAtOpen).toEqual([inUse.ess.database]);
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

describe.each(SHAPES)('crashes at the database steps (%s)', (shape) => {
  const crashes = () => results[shape].crashes;

  it('the kills landed inside backup-synapse-database, right after it, inside create-synapse-database and right after it', () => {
    const { kills } = crashes();
    const at = (kill: Step[], kind: string) => stepOf(kill, kind)?.state ?? 'not started';
    // Right after backup-synapse-database finished, create-synapse-database may have begun: its journal row comes at once.
    expect(kills.map((kill) => [at(kill, 'backup-synapse-database'), at(kill, 'create-synapse-database')])).toEqual([
      ['started', 'not started'],
      ['finished', expect.stringMatching(/^(not started|started)$/) as string],
      ['finished', 'started'],
      ['finished', 'finished'],
    ]);
    // Each kill came after the process it killed had started a step of its own.
    expect(attemptsOf(kills[2]!, 'create-synapse-database')).toBe(attemptsOf(kills[1]!, 'create-synapse-database') + 1);
  });

  it('resumed to the same end state as an uninterrupted reset, verify passing', () => {
    const { end, ess, runId, planned, verify } = crashes();
    expect(end).toEqual(expectedEndState(ess, runId, planned));
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('no finished step ran again; each interrupted one ran once more', () => {
    const { kills, final } = crashes();
    for (const kill of kills) {
      for (const step of kill.filter((s) => s.state === 'finished')) {
        expect(stepOf(final, step.kind), `${step.kind} finished before a kill`).toMatchObject({ attempts: step.attempts, finishedAt: step.finishedAt });
      }
    }
    const interrupted = (kind: string) => kills.filter((kill) => stepOf(kill, kind)?.state === 'started').length;
    expect(final.map((step) => `${step.kind}: ${step.attempts}`)).toEqual(final.map((step) => `${step.kind}: ${1 + interrupted(step.kind)}`));
  });
});

describe('a role that cannot rename the database: pg_dump instead (ESS as synapse_user, owner without CREATEDB)', () => {
  it('plans a dump into the dump directory instead of the rename, saying why', () => {
    expect(dumped.planned).toEqual([
      'snapshot-credentials',
      'backup-secrets',
      'scale-down',
      'dump-synapse-database',
      'scale-up',
      'bootstrap-admin',
      'write-admin-token',
      'restart-workloads',
      'clear-credentials',
      'verify',
    ]);
    const { plan } = JSON.parse(dumped.planRun.stdout) as { plan: { warnings: string[]; steps: { kind: string; description: string }[] } };
    expect(plan.warnings.join(' ')).toContain('is backed up with pg_dump into');
    expect(plan.warnings.join(' ')).toContain('it lacks CREATEDB, so it is dumped and emptied in place instead');
    expect(plan.steps.find((step) => step.kind === 'dump-synapse-database')?.description).toContain('pg_dump it into');
  });

  it('the kills landed inside dump-synapse-database and right after it', () => {
    expect(dumped.kills.map((kill) => stepOf(kill, 'dump-synapse-database')?.state)).toEqual(['started', 'finished']);
  });

  it('resumed to the end: old tokens dead, one database holding only the new admin, a 0600 dump of the old one, no partial file left', () => {
    const { ess, end, planned } = dumped;
    expect(end).toEqual({
      run: 'finished',
      steps: planned.map((kind) => `${kind}: finished`),
      oldTokens: [ess.admin, ...ess.users].map(() => 'M_UNKNOWN_TOKEN'),
      newAdminToken: ess.admin.userId,
      databases: [ess.database],
      dump: { mode: '600', tables: ['access_tokens', 'schema_version', 'users'] },
      leftovers: [],
      fresh: { users: [ess.admin.userId], schemaVersion: expect.any(Number) as number },
      appRows: [...ess.users.map(() => '(none)'), '(none)'],
    });
    expect(dumped.verify.code, dumped.verify.stderr).toBe(0);
  });

  it('rollback restores the dump: the old admin token and an old user token work again', () => {
    const { ess, rollback, afterRollback } = dumped;
    expect(rollback.code, rollback.stderr.slice(-3000)).toBe(0);
    expect(afterRollback).toEqual({
      adminToken: ess.admin.accessToken,
      oldTokens: [ess.admin.userId, ess.users[1]!.userId],
      databases: [ess.database],
      users: [ess.admin, ...ess.users].map((u) => u.userId).sort(),
    });
  });

  it('prune deletes the dump with the run\'s other backups', () => {
    const { prune, afterPrune, runId } = dumped;
    expect(prune.code, prune.stderr.slice(-3000)).toBe(0);
    const { pruned } = JSON.parse(prune.stdout) as { pruned: { runId: string; databaseDump?: { file: string } }[] };
    expect(pruned.find((p) => p.runId === runId)?.databaseDump?.file).toMatch(new RegExp(`/synapse__mr_${runId}\\.dump$`));
    expect(afterPrune).toEqual([]);
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

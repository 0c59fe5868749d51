import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKube, forceExternalSecretSync, loadKubeConfig, type Kube } from '@matrix-reset/k8s-ops';
import {
  applyPlan,
  buildPlan,
  connectEnvironment,
  doctor,
  observePlanState,
  type EnvironmentConfig,
  type EnvironmentConnection,
  type StepHook,
} from '@matrix-reset/reset-core';
import { runSandboxCli } from '@matrix-reset/demo';
import { sql } from 'kysely';
import type { CliMemoryRecord } from './cli-memory-hook.ts';
import { FULL_RESET_SHAPE_TABLE, type FullResetShape, type FullResetShapeName } from './full-reset-shapes.ts';
import { median } from './synapse-whoami-bench.ts';

/*
 * The full reset of the runbook, timed step by step on the sandbox the demo uses: kube-sim's `openmeet-dev` scenario
 * with a real Synapse in the pod `matrix-0` on the claim `data-matrix-0`, an API Deployment whose Secret an
 * ExternalSecret syncs from SSM (moto), and an OpenMeet app database with real provisioned users. Or, with `shape`,
 * on a Synapse whose data is in Postgres: `ananace` (kube-sim synapse-ananace: Deployment matrix-synapse and a generic
 * worker, the database on the sandbox's Postgres, the demo's `--shape postgres`) or `ess` (synapse-ess: StatefulSet
 * ess-synapse-main beside a Postgres StatefulSet of its own); there the incident drops Synapse's database and makes
 * it again empty, and the reset renames it aside and creates a fresh one instead of deleting the claim. The Postgres
 * servers run in other processes too (the sandbox's, or the ess-postgres pod's), so the method below holds as is.
 *
 * Own time vs waiting. Within a step the tool either computes (JavaScript, JSON, TLS, the port-forward relay, GC) or
 * waits for something outside the process (Synapse, the Kubernetes API and its controllers, the pod starting,
 * Postgres, SSM). The sandbox's services all run in other processes (kube-sim runs Synapse as its pod's process; the
 * sandbox supervisor is detached), so everything this process's threads execute is the tool's. "Own time" is the CPU
 * time of this process across the step (`process.cpuUsage()`: user + system, every thread: main thread, GC helpers,
 * libuv pool), and "waiting" is wall - own. CPU time is an upper bound of the tool's share (GC threads can overlap
 * the main thread) and, unlike wall time, is not inflated by other load on a shared machine. The main thread's busy
 * time (`performance.eventLoopUtilization().active`) is reported too, as a second view.
 */

const TENANTS = ['tenant_alpha', 'tenant_beta', 'tenant_gamma'] as const;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI_BIN = fileURLToPath(new URL('../../../apps/cli/bin/run.js', import.meta.url));
const MEMORY_HOOK = fileURLToPath(new URL('./cli-memory-hook.ts', import.meta.url));

/** What each step of a full reset waits on, for the table. */
const WAITS_ON: Readonly<Record<string, string>> = {
  'snapshot-credentials': 'Postgres',
  'backup-secrets': 'SSM, Kubernetes API',
  'volume-snapshot': 'snapshot controller',
  'scale-down': 'pod termination',
  'delete-pvc': 'Kubernetes API (claim deletion)',
  'backup-synapse-database': 'Postgres (sessions gone, RENAME)',
  'create-synapse-database': 'Postgres (CREATE DATABASE)',
  'scale-up': 'pod start, Synapse ready (it makes its schema on the empty database or volume)',
  'bootstrap-admin': 'Synapse (port-forward)',
  'write-admin-token': 'SSM, External Secrets sync',
  'restart-workloads': 'API Deployment rollout',
  'clear-credentials': 'Postgres',
  verify: 'Synapse (port-forward)',
};

export interface FullResetBenchOptions {
  /** The Synapse deployment (default `sqlite`: openmeet-dev). */
  shape?: FullResetShapeName;
  /** Rounds, each on a fresh incident (default 3). */
  rounds?: number;
  /** App users per tenant (3 tenants; default 10). */
  usersPerTenant?: number;
  log?: (line: string) => void;
}

/** Wall, own (CPU) and waiting time of one stretch of work, in milliseconds. */
export interface Timing {
  wallMs: number;
  /** This process's CPU time (user + system, all threads). */
  cpuMs: number;
  /** The main thread's busy time (event loop utilization's `active`). */
  loopActiveMs: number;
  /** wall - cpu (at least 0). */
  waitMs: number;
}

export interface StepTiming extends Timing {
  id: string;
  kind: string;
  waitsOn: string;
}

export interface FullResetRound {
  runId: string;
  steps: StepTiming[];
  /** The whole `applyPlan` call: lock, the stale-plan check (observe again), journal writes and every step. */
  apply: Timing;
  /** apply minus the steps: lock, stale-plan check, journal. */
  overhead: Timing;
  /** doctor + observe + buildPlan before the apply (not in `apply`). */
  plan: Timing;
}

/** One `matrix-reset` command run as a process: wall time from spawn to exit, its CPU time and peak RSS. */
export interface CliCommandTiming {
  command: string;
  wallMs: number;
  cpuMs: number;
  waitMs: number;
  maxRssMb: number;
}

export interface FullResetBenchResult {
  shape: FullResetShapeName;
  /** kube-sim's scenario the sandbox ran. */
  scenario: string;
  rounds: FullResetRound[];
  /**
   * One more round through the CLI as an operator runs it (`matrix-reset plan --mode full-reset`, then
   * `matrix-reset apply --yes`), each a process from the checkout's source: own time here includes starting Node,
   * loading the modules and stripping the TypeScript types.
   */
  cli: CliCommandTiming[];
  users: number;
  steps: string[];
  /** Per step kind: the medians over the rounds. */
  medianSteps: StepTiming[];
  medianOverhead: Timing;
  medianApply: Timing;
  medianPlan: Timing;
  goals: { ownUnder5s: boolean; cliOwnUnder5s: boolean };
}

interface Mark {
  at: number;
  cpu: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
}
type EventLoopUtilization = ReturnType<typeof performance.eventLoopUtilization>;

function mark(): Mark {
  return { at: performance.now(), cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() };
}

function since(start: Mark, end: Mark = mark()): Timing {
  const wallMs = end.at - start.at;
  const cpuMs = (end.cpu.user - start.cpu.user + end.cpu.system - start.cpu.system) / 1000;
  const loopActiveMs = performance.eventLoopUtilization(end.elu, start.elu).active;
  return { wallMs, cpuMs, loopActiveMs, waitMs: Math.max(0, wallMs - cpuMs) };
}

function minus(a: Timing, parts: readonly Timing[]): Timing {
  const sum = (key: keyof Timing) => parts.reduce((total, p) => total + p[key], 0);
  const wallMs = a.wallMs - sum('wallMs');
  const cpuMs = a.cpuMs - sum('cpuMs');
  return { wallMs, cpuMs, loopActiveMs: a.loopActiveMs - sum('loopActiveMs'), waitMs: Math.max(0, wallMs - cpuMs) };
}

function medianTiming(timings: readonly Timing[]): Timing {
  const m = (key: keyof Timing) => median(timings.map((t) => t[key]));
  return { wallMs: m('wallMs'), cpuMs: m('cpuMs'), loopActiveMs: m('loopActiveMs'), waitMs: m('waitMs') };
}

/** `sandbox <args>` of tools/sandbox in a child process (its services stay out of this process); stdout returned. */
function sandboxCli(args: readonly string[], log: (line: string) => void): Promise<string> {
  return runSandboxCli(ROOT, args, (line) => {
    if (line.trim() !== '') log(`  ${line}`);
  });
}

/** Runs `matrix-reset <args>` (apps/cli/bin/run.js) with the memory hook; throws unless it exits 0. */
function cliCommand(args: readonly string[], dir: string): Promise<CliCommandTiming> {
  const memoryFile = join(dir, `cli-${randomBytes(4).toString('hex')}.json`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', MEMORY_HOOK, CLI_BIN, ...args], {
      cwd: dir,
      env: { ...process.env, MATRIX_RESET_BENCH_MEMORY_FILE: memoryFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (tail = (tail + chunk).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`matrix-reset ${args[0]} exited with ${code}: ${tail.trim().split('\n').slice(-4).join(' | ')}`));
      const memory = JSON.parse(readFileSync(memoryFile, 'utf8')) as CliMemoryRecord;
      const cpuMs = memory.cpuSeconds * 1000;
      resolve({ command: `matrix-reset ${args[0]}`, wallMs, cpuMs, waitMs: Math.max(0, wallMs - cpuMs), maxRssMb: memory.maxRssMb });
    });
  });
}

async function sharedSecret(connection: EnvironmentConnection, environment: EnvironmentConfig): Promise<string> {
  const value = (await connection.openSecretStore(environment.synapse.sharedSecret!).read()).value?.reveal();
  if (value === undefined) throw new Error(`${environment.synapse.sharedSecret} holds no value`);
  return value;
}

/** First round: the admin (token in SSM, synced into the API's Secret) and the tenant schemas with their users. */
async function seed(connection: EnvironmentConnection, environment: EnvironmentConfig, kube: Kube, shape: FullResetShape, perTenant: number): Promise<void> {
  const secret = await sharedSecret(connection, environment);
  const admin = await connection.synapse.registerWithSharedSecret({ sharedSecret: secret, username: environment.synapse.adminUser, password: randomBytes(12).toString('hex'), admin: true });
  await connection.openSecretStore(`ssm:${shape.ssm.token}`).write(admin.accessToken!);
  await connection.openSecretStore(`ssm:${shape.ssm.user}`).write(admin.userId);
  for (const schema of TENANTS) {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(connection.db);
    await sql`
      CREATE TABLE IF NOT EXISTS ${sql.id(schema, 'users')} (
        id serial PRIMARY KEY, slug varchar NOT NULL,
        "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
      )`.execute(connection.db);
    const tenant = schema.replace(/^tenant_/, '');
    for (let i = 1; i <= perTenant; i++) await sql`INSERT INTO ${sql.id(schema, 'users')} (slug) VALUES (${`${tenant}-user-${i}`})`.execute(connection.db);
  }
  await forceExternalSecretSync(kube, { namespace: shape.namespace, name: 'openmeet-api-secrets', timeoutMs: 30_000 });
}

/** What the app does for rows without credentials: register the user on the current Synapse and store its token. */
async function provision(connection: EnvironmentConnection, environment: EnvironmentConfig): Promise<number> {
  const secret = await sharedSecret(connection, environment);
  let count = 0;
  for (const schema of TENANTS) {
    const rows = await sql<{ id: number; slug: string }>`SELECT id, slug FROM ${sql.id(schema, 'users')} WHERE "matrixAccessToken" IS NULL ORDER BY id`.execute(connection.db);
    for (const row of rows.rows) {
      const registered = await connection.synapse.registerWithSharedSecret({ sharedSecret: secret, username: row.slug, password: randomBytes(12).toString('hex'), admin: false });
      await sql`UPDATE ${sql.id(schema, 'users')} SET "matrixUserId" = ${registered.userId}, "matrixAccessToken" = ${registered.accessToken!},
        "matrixDeviceId" = ${registered.deviceId ?? null} WHERE id = ${row.id}`.execute(connection.db);
      count++;
    }
  }
  return count;
}

/**
 * Starts the demo's sandbox (kube-sim `openmeet-dev`, or the shape's scenario; a real Synapse pod, Postgres, moto SSM)
 * in a child process, seeds the app's users, and for each round: provisions every user on the current Synapse, wipes
 * Synapse's data as the incident does (its volume, or its Postgres database), makes a full-reset plan (doctor +
 * observe) and applies it, timing every step (wall, CPU of this process, main-thread busy time) through apply's step
 * hook. Stops the sandbox at the end.
 *
 * @example
 * const r = await runFullResetBench({ shape: 'ananace', rounds: 3 });
 * console.log(r.medianApply.cpuMs, r.goals.ownUnder5s);
 */
export async function runFullResetBench(options: FullResetBenchOptions = {}): Promise<FullResetBenchResult> {
  const roundCount = options.rounds ?? 3;
  const perTenant = options.usersPerTenant ?? 10;
  const log = options.log ?? (() => undefined);
  const shapeName = options.shape ?? 'sqlite';
  const shape = FULL_RESET_SHAPE_TABLE[shapeName];
  const stateDir = join(ROOT, '.sandbox', `bench-full-reset-${process.pid}`);
  log(`starting the sandbox in ${stateDir} (${shape.sandboxDescription}, Postgres, moto SSM)`);
  const up = ['up', '--with', 'kube', '--kube-scenario', shape.kubeScenario, '--json', '--state-dir', stateDir, '--attach-to', String(process.pid)];
  const record = JSON.parse(await sandboxCli(up, log)) as { env: Record<string, string> };
  try {
    // The tool reads its environment as the CLI would: DATABASE_URL, the AWS variables of moto, KUBECONFIG.
    for (const [name, value] of Object.entries(record.env)) process.env[name] = value;
    const kubeconfig = record.env['KUBECONFIG'];
    if (kubeconfig === undefined) throw new Error('sandbox up --with kube printed no KUBECONFIG');
    const kube = createKube(loadKubeConfig({ kubeconfigPath: kubeconfig }));
    const environment = await shape.writeConfig(join(stateDir, 'matrix-reset.yaml'), { stateDir, kube, kubeconfig, env: record.env });
    const withConnection = async <T>(fn: (c: EnvironmentConnection) => Promise<T>): Promise<T> => {
      const connection = await connectEnvironment(environment);
      try {
        return await fn(connection);
      } finally {
        await connection.close();
      }
    };
    log(`waiting for Synapse (namespace ${shape.namespace})`);
    await shape.waitForSynapse(kube);
    await withConnection((c) => seed(c, environment, kube, shape, perTenant));

    const rounds: FullResetRound[] = [];
    for (let round = 1; round <= roundCount; round++) {
      const provisioned = await withConnection((c) => provision(c, environment));
      log(`round ${round}: ${provisioned} users provisioned; incident: ${shape.incident.announce}`);
      await withConnection((c) => shape.incident.cause(kube, c, log));
      rounds.push(
        await withConnection(async (connection) => {
          const planStart = mark();
          const { observation, observed } = await observePlanState(environment, connection);
          const report = await doctor(environment, connection);
          const checksums = Object.fromEntries(observed.appDatabase.schemas.flatMap((s) => (s.checksum === undefined ? [] : [[s.schema, s.checksum]])));
          const plan = buildPlan(environment, observation, report, { mode: 'full-reset', checksums });
          const planTiming = since(planStart);
          log(`round ${round}: doctor says ${report.recommendation.action}; plan ${plan.steps.map((s) => s.kind).join(' -> ')}`);

          const steps: StepTiming[] = [];
          let stepStart: Mark | undefined;
          const onStep: StepHook = ({ phase, step }) => {
            if (phase === 'before') {
              stepStart = mark();
              return;
            }
            if (stepStart === undefined) throw new Error(`no start mark for ${step.id}`);
            steps.push({ id: step.id, kind: step.kind, waitsOn: WAITS_ON[step.kind] ?? '', ...since(stepStart) });
          };
          const applyStart = mark();
          const result = await applyPlan(plan, connection, { confirm: async () => undefined, onStep });
          const apply = since(applyStart);
          if (result.run.state !== 'finished' || steps.length !== plan.steps.length) {
            throw new Error(`run ${result.run.id} ended ${result.run.state} after ${steps.length} of ${plan.steps.length} steps`);
          }
          log(`round ${round}: run ${result.run.id} finished in ${(apply.wallMs / 1000).toFixed(2)} s, own (CPU) ${(apply.cpuMs / 1000).toFixed(2)} s`);
          return { runId: result.run.id, steps, apply, overhead: minus(apply, steps), plan: planTiming };
        }),
      );
    }

    const provisioned = await withConnection((c) => provision(c, environment));
    log(`CLI round: ${provisioned} users provisioned; incident; then matrix-reset plan --mode full-reset and matrix-reset apply --yes`);
    await withConnection((c) => shape.incident.cause(kube, c, log));
    const config = join(stateDir, 'matrix-reset.yaml');
    const planFile = join(stateDir, 'bench.plan.json');
    const cli = [
      await cliCommand(['plan', '--config', config, '--mode', 'full-reset', '--out', planFile], stateDir),
      await cliCommand(['apply', planFile, '--config', config, '--yes'], stateDir),
    ];
    log(`CLI round: ${cli.map((c) => `${c.command} ${(c.wallMs / 1000).toFixed(2)} s wall, ${(c.cpuMs / 1000).toFixed(2)} s own`).join('; ')}`);

    const kinds = rounds[0]!.steps.map((s) => s.kind);
    const medianSteps = kinds.map((kind, index) => {
      const samples = rounds.map((r) => r.steps[index]!);
      if (samples.some((s) => s.kind !== kind)) throw new Error('rounds ran different plans');
      return { id: samples[0]!.id, kind, waitsOn: samples[0]!.waitsOn, ...medianTiming(samples) };
    });
    const medianApply = medianTiming(rounds.map((r) => r.apply));
    return {
      shape: shapeName,
      scenario: shape.kubeScenario,
      rounds,
      users: perTenant * TENANTS.length,
      steps: kinds,
      medianSteps,
      medianOverhead: medianTiming(rounds.map((r) => r.overhead)),
      medianApply,
      medianPlan: medianTiming(rounds.map((r) => r.plan)),
      cli,
      goals: {
        ownUnder5s: Math.max(...rounds.map((r) => r.apply.cpuMs)) < 5000,
        cliOwnUnder5s: cli.reduce((total, c) => total + c.cpuMs, 0) < 5000,
      },
    };
  } finally {
    log('stopping the sandbox');
    await sandboxCli(['down', '--state-dir', stateDir], log).then(
      // Stopped: its state (logs, config, plan file) goes too; kept when the sandbox could not be stopped.
      () => rmSync(stateDir, { recursive: true, force: true }),
      (error: unknown) => log(`sandbox down failed (its state stays in ${stateDir}): ${String(error)}`),
    );
  }
}

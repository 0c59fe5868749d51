import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createKube, forceExternalSecretSync, loadKubeConfig, type Kube } from '@matrix-reset/k8s-ops';
import {
  applyPlan,
  buildPlan,
  connectEnvironment,
  describeProgress,
  doctor,
  observePlanState,
  verify,
  type ClassCounts,
  type DoctorAction,
  type DoctorReport,
  type EnvironmentConfig,
  type EnvironmentConnection,
  type Plan,
  type RunResult,
  type VerifyReport,
} from '@matrix-reset/reset-core';
import { sql } from 'kysely';
import { findRepositoryRoot, startDemoSandbox, stopDemoSandbox, type DemoSandboxRecord } from './demo-sandbox.ts';
import type { DemoShape, DemoShapeName } from './demo-shape.ts';
import { postgresShape } from './demo-shape-postgres.ts';
import { sqliteShape } from './demo-shape-sqlite.ts';

const TENANTS = ['tenant_alpha', 'tenant_beta', 'tenant_gamma'] as const;
const SHAPES: Readonly<Record<DemoShapeName, DemoShape>> = { sqlite: sqliteShape, postgres: postgresShape };

export interface DemoOptions {
  /**
   * The Synapse deployment: `sqlite` (default; kube-sim's openmeet-dev, Synapse's SQLite database on its PVC) or
   * `postgres` (kube-sim's synapse-ananace: Synapse and a worker as Deployments, its database on the sandbox's Postgres).
   */
  shape?: DemoShapeName;
  /** Leave the sandbox running afterwards (default false: `sandbox down`). */
  keep?: boolean;
  /** Sandbox state directory (default `<repository>/.sandbox/demo`). */
  stateDir?: string;
  /** App users registered per tenant (default 3). */
  usersPerTenant?: number;
  /** Progress lines (for stderr). */
  onProgress?: (message: string) => void;
  /** Where to look for the repository (default this module). */
  from?: string;
}

/** A doctor report, reduced to what the demo shows. */
export interface DemoDoctorSummary {
  readonly action: DoctorAction;
  readonly reason: string;
  readonly adminToken: DoctorReport['adminToken'];
  readonly examined: number;
  readonly totals: ClassCounts;
}

export interface DemoStepTiming {
  readonly kind: string;
  readonly state: string;
  readonly ms: number | undefined;
  readonly detail: unknown;
}

export interface DemoScenario {
  readonly title: string;
  readonly incident: string;
  readonly doctorBefore: DemoDoctorSummary;
  readonly plan: { readonly id: string; readonly mode: string; readonly chosenBy: 'doctor' | 'operator'; readonly steps: readonly string[] };
  readonly run: { readonly id: string; readonly state: string; readonly ms: number; readonly steps: readonly DemoStepTiming[] };
  readonly verify: { readonly ok: boolean; readonly checks: readonly { readonly name: string; readonly status: string; readonly ms: number }[] } | undefined;
  readonly doctorAfter: DemoDoctorSummary;
  /** The uid of Synapse's claim (its SQLite volume, or its media store on Postgres) before and after the scenario. */
  readonly pvcUid: { readonly before: string | undefined; readonly after: string | undefined };
  /** For a Synapse on Postgres: what the scenario did to its database. */
  readonly synapseDatabase: DemoSynapseDatabase | undefined;
}

/** A Postgres-backed Synapse's database after a scenario, read from its server. */
export interface DemoSynapseDatabase {
  /** Synapse's database (homeserver.yaml's `database.args.database`). */
  readonly name: string;
  /** The name this run moved the old database to (`<name>__mr_<run id>`), when it did. */
  readonly backup: string | undefined;
  /** Whether this run made a fresh, empty database under `name`. */
  readonly created: boolean;
  /** The databases on the server named `name` or `<name>__mr_*` after the scenario, sorted. */
  readonly onServer: readonly string[];
}

export interface DemoSummary {
  readonly shape: DemoShapeName;
  readonly stateDir: string;
  readonly configFile: string;
  readonly seeded: { readonly tenants: readonly string[]; readonly users: number; readonly admin: string };
  /** Users the app provisioned again between the scenarios. */
  readonly reprovisioned: number;
  readonly scenarios: readonly DemoScenario[];
  readonly kept: boolean;
  /** Shell lines to explore the environment (meaningful with `keep`). */
  readonly explore: readonly string[];
  readonly durationMs: number;
}

interface SeededUser {
  readonly schema: string;
  readonly key: number;
  readonly userId: string;
  readonly accessToken: string;
}

/**
 * The whole story on a real sandbox: starts it with the shape's kube-sim scenario (openmeet-dev, or synapse-ananace
 * for `shape: 'postgres'`), seeds an OpenMeet app database whose users hold tokens of the pod's Synapse, writes a
 * `matrix-reset.yaml`, wipes Synapse's data the way the incident happens (its volume, or its Postgres database),
 * then doctor, plan, apply, verify and doctor again; and a second, smaller incident (some tokens logged out) that a
 * repair fixes without wiping anything. Stops the sandbox unless `keep`.
 *
 * @example
 * const summary = await runDemo({ shape: 'postgres', onProgress: (m) => process.stderr.write(m + '\n') });
 * console.log(summary.scenarios.map((s) => `${s.title}: ${s.doctorBefore.action} -> ${s.doctorAfter.action}`));
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const started = Date.now();
  const say = options.onProgress ?? (() => undefined);
  const root = findRepositoryRoot(options.from);
  const stateDir = options.stateDir ?? join(root, '.sandbox', 'demo');
  const keep = options.keep ?? false;
  const shape = SHAPES[options.shape ?? 'sqlite'];

  say(`== Starting the sandbox (Postgres, moto SSM, ${shape.sandboxDescription})`);
  const sandbox = await startDemoSandbox({ root, stateDir, kubeScenario: shape.kubeScenario, ...(keep ? {} : { attachTo: process.pid }), onLine: (line) => say(`   ${line}`) });
  let summary: Omit<DemoSummary, 'durationMs'> | undefined;
  try {
    summary = await runOnSandbox(sandbox, shape, { usersPerTenant: options.usersPerTenant ?? 3, say, keep });
  } finally {
    if (!keep) {
      say('== Stopping the sandbox');
      await stopDemoSandbox({ root, stateDir, onLine: (line) => say(`   ${line}`) });
    }
  }
  return { ...summary, durationMs: Date.now() - started };
}

async function runOnSandbox(sandbox: DemoSandboxRecord, shape: DemoShape, options: { usersPerTenant: number; say: (m: string) => void; keep: boolean }): Promise<Omit<DemoSummary, 'durationMs'>> {
  const { say } = options;
  const env = { ...process.env, ...sandbox.env };
  const ssm = new SSMClient({
    endpoint: sandbox.env['AWS_ENDPOINT_URL_SSM'],
    region: sandbox.env['AWS_REGION'] ?? 'us-east-1',
    credentials: { accessKeyId: sandbox.env['AWS_ACCESS_KEY_ID'] ?? 'testing', secretAccessKey: sandbox.env['AWS_SECRET_ACCESS_KEY'] ?? 'testing' },
  });
  const kubeconfig = sandbox.env['KUBECONFIG'];
  if (kubeconfig === undefined) throw new Error('sandbox up --with kube printed no KUBECONFIG');
  const kube = createKube(loadKubeConfig({ kubeconfigPath: kubeconfig }));
  const configFile = join(sandbox.stateDir, 'matrix-reset.yaml');
  const environment = await shape.writeConfig(configFile, { stateDir: sandbox.stateDir, kube, kubeconfig, env: sandbox.env });
  const connect = () => connectEnvironment(environment, { ssm, env });
  const withConnection = async <T>(fn: (c: EnvironmentConnection) => Promise<T>): Promise<T> => {
    const connection = await connect();
    try {
      return await fn(connection);
    } finally {
      await connection.close();
    }
  };
  say(`== Wrote ${configFile}`);
  say(`== Waiting for Synapse (namespace ${shape.namespace}) to be ready`);
  await shape.waitForSynapse(kube);

  say(`== Seeding: ${TENANTS.length} tenant schemas, ${options.usersPerTenant} Matrix users each, and the admin`);
  const users = await withConnection((c) => seed(c, environment, shape, options.usersPerTenant));
  await forceExternalSecretSync(kube, { namespace: shape.namespace, name: 'openmeet-api-secrets', timeoutMs: 30_000 });
  say(`   ${users.length} users provisioned on the pod's Synapse; admin token in SSM ${shape.ssm.token} and Secret openmeet-api-secrets`);

  const scenarios: DemoScenario[] = [];
  // Scenario 1: the runbook's incident, Synapse's data wiped (its volume, or its Postgres database).
  {
    const before = await pvcUid(kube, shape);
    say(`== Incident: ${shape.incident.announce}`);
    const incident = await withConnection((c) => shape.incident.cause(kube, c, say));
    scenarios.push(await resetScenario(withConnection, kube, shape, say, { title: shape.incident.title, incident, pvcBefore: before, withVerify: true }));
  }
  // The app provisions its users again after the reset (OpenMeet does it on their next request).
  const reprovisioned = await withConnection((c) => reprovision(c, environment));
  say(`== The app provisions its users again: ${reprovisioned} stored tokens`);
  // Scenario 2: a few tokens die (logged out); the homeserver keeps its data.
  {
    const before = await pvcUid(kube, shape);
    const alpha = await withConnection(async (c) => {
      const rows = await sql<{ id: number; matrixUserId: string; matrixAccessToken: string }>`
        SELECT id, "matrixUserId", "matrixAccessToken" FROM ${sql.id('tenant_alpha', 'users')}
        WHERE "matrixAccessToken" IS NOT NULL ORDER BY id LIMIT 2`.execute(c.db);
      for (const row of rows.rows) await c.synapse.withAccessToken(row.matrixAccessToken).logout();
      return rows.rows.map((r) => r.matrixUserId);
    });
    say(`== Incident: logged out ${alpha.length} users' tokens (${alpha.join(', ')}); nothing wiped`);
    scenarios.push(await resetScenario(withConnection, kube, shape, say, {
      title: 'a few tokens logged out',
      incident: `logged out the stored tokens of ${alpha.join(', ')}`,
      pvcBefore: before,
      withVerify: false,
    }));
  }

  const explore = shape.explore(sandbox.stateDir, configFile);
  return { shape: shape.name, stateDir: sandbox.stateDir, configFile, seeded: { tenants: TENANTS, users: users.length, admin: environment.synapse.adminUserId }, reprovisioned, scenarios, kept: options.keep, explore };
}

/** OpenMeet's tenant schemas with users whose tokens the pod's Synapse issued, and the admin token in SSM. */
async function seed(connection: EnvironmentConnection, environment: EnvironmentConfig, shape: DemoShape, perTenant: number): Promise<SeededUser[]> {
  const sharedSecretRef = environment.synapse.sharedSecret;
  if (sharedSecretRef === undefined) throw new Error('demo config invariant: sharedSecret');
  const sharedSecret = (await connection.openSecretStore(sharedSecretRef).read()).value?.reveal();
  if (sharedSecret === undefined) throw new Error(`${sharedSecretRef} holds no value`);
  const password = () => randomBytes(12).toString('hex');
  const admin = await connection.synapse.registerWithSharedSecret({ sharedSecret, username: environment.synapse.adminUser, password: password(), admin: true });
  await connection.openSecretStore(`ssm:${shape.ssm.token}`).write(admin.accessToken!);
  await connection.openSecretStore(`ssm:${shape.ssm.user}`).write(admin.userId);

  const users: SeededUser[] = [];
  for (const schema of TENANTS) {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(connection.db);
    await sql`
      CREATE TABLE IF NOT EXISTS ${sql.id(schema, 'users')} (
        id serial PRIMARY KEY, slug varchar NOT NULL,
        "matrixUserId" varchar, "matrixAccessToken" varchar, "matrixDeviceId" varchar, preferences jsonb
      )`.execute(connection.db);
    const tenant = schema.replace(/^tenant_/, '');
    for (let i = 1; i <= perTenant; i++) {
      const slug = `${tenant}-user-${i}`;
      const registered = await connection.synapse.registerWithSharedSecret({ sharedSecret, username: slug, password: password(), admin: false });
      const inserted = await sql<{ id: number }>`
        INSERT INTO ${sql.id(schema, 'users')} (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId")
        VALUES (${slug}, ${registered.userId}, ${registered.accessToken!}, ${registered.deviceId ?? null}) RETURNING id`.execute(connection.db);
      users.push({ schema, key: inserted.rows[0]!.id, userId: registered.userId, accessToken: registered.accessToken! });
    }
  }
  return users;
}

/** What the app does for users whose credentials were cleared: register them on the (new) homeserver and store the token. */
async function reprovision(connection: EnvironmentConnection, environment: EnvironmentConfig): Promise<number> {
  const sharedSecret = (await connection.openSecretStore(environment.synapse.sharedSecret!).read()).value?.reveal();
  if (sharedSecret === undefined) throw new Error(`${environment.synapse.sharedSecret} holds no value`);
  let count = 0;
  for (const schema of TENANTS) {
    const rows = await sql<{ id: number; slug: string }>`SELECT id, slug FROM ${sql.id(schema, 'users')} WHERE "matrixAccessToken" IS NULL ORDER BY id`.execute(connection.db);
    for (const row of rows.rows) {
      const registered = await connection.synapse.registerWithSharedSecret({ sharedSecret, username: row.slug, password: randomBytes(12).toString('hex'), admin: false });
      await sql`UPDATE ${sql.id(schema, 'users')} SET "matrixUserId" = ${registered.userId}, "matrixAccessToken" = ${registered.accessToken!},
        "matrixDeviceId" = ${registered.deviceId ?? null} WHERE id = ${row.id}`.execute(connection.db);
      count++;
    }
  }
  return count;
}

async function pvcUid(kube: Kube, shape: DemoShape): Promise<string | undefined> {
  try {
    return (await kube.core.readNamespacedPersistentVolumeClaim({ namespace: shape.namespace, name: shape.claim })).metadata?.uid;
  } catch {
    return undefined;
  }
}

function summarizeDoctor(report: DoctorReport): DemoDoctorSummary {
  return { action: report.recommendation.action, reason: report.recommendation.reason, adminToken: report.adminToken, examined: report.examined, totals: report.totals };
}

async function resetScenario(
  withConnection: <T>(fn: (c: EnvironmentConnection) => Promise<T>) => Promise<T>,
  kube: Kube,
  shape: DemoShape,
  say: (m: string) => void,
  scenario: { title: string; incident: string; pvcBefore: string | undefined; withVerify: boolean },
): Promise<DemoScenario> {
  say(`== doctor`);
  const { plan, report } = await withConnection(async (c) => {
    const { observation, observed } = await observePlanState(c.environment, c);
    // As `matrix-reset doctor` does, on Postgres it also reports Synapse's database.
    const report = await doctor(c.environment, c, { storage: shape.postgres });
    const checksums = Object.fromEntries(observed.appDatabase.schemas.flatMap((s) => (s.checksum === undefined ? [] : [[s.schema, s.checksum]])));
    // After a wipe the stored admin token is dead too, so the doctor cannot look users up and may not be able to
    // tell repair from full reset; the operator then chooses, as its next steps say. The demo chooses full-reset.
    const mode = report.recommendation.action === 'inconclusive' ? 'full-reset' : 'auto';
    return { report, plan: buildPlan(c.environment, observation, report, { mode, checksums }) };
  });
  say(`   ${report.recommendation.action}: ${report.recommendation.reason} (admin token ${report.adminToken})`);
  const seen = report.storage?.database;
  if (seen?.reachable === true) {
    const schema = seen.schema.state === 'present' ? `schema version ${seen.schema.version}` : `schema ${seen.schema.state}`;
    say(`   Synapse's database: ${seen.database.name} on PostgreSQL ${seen.server.version}, ${(seen.database.sizeBytes / 1024 / 1024).toFixed(1)} MiB, owner ${seen.database.owner}, ${seen.database.encoding} ${seen.database.collate}, ${schema}, ${seen.connections} sessions`);
  }
  if (report.recommendation.action === 'inconclusive') say('   the doctor cannot tell; choosing full-reset as an operator would (plan --mode full-reset)');
  say(`== plan: ${plan.mode}, ${plan.steps.map((s) => s.kind).join(' -> ')}`);
  for (const step of plan.steps.filter((s) => DATABASE_STEPS.includes(s.kind))) say(`   ${step.kind}: ${step.description}`);
  say(`== apply`);
  const result: RunResult = await withConnection((c) => applyPlan(plan, c, { confirm: async () => undefined, onProgress: (event) => say(`   ${describeProgress(event)}`) }));
  let verifyReport: VerifyReport | undefined;
  if (scenario.withVerify) {
    say('== verify');
    verifyReport = await withConnection((c) => verify(c, { onProgress: (p) => (p.type === 'finished' ? say(`   ${p.check.name}: ${p.check.status}`) : undefined) }));
  }
  say('== doctor again');
  const after = await withConnection((c) => doctor(c.environment, c));
  say(`   ${after.recommendation.action}: ${after.recommendation.reason}`);
  const databaseName = seen?.reachable === true ? seen.database.name : undefined;
  const synapseDatabase = databaseName === undefined ? undefined : await withConnection((c) => databaseAfter(c, databaseName, result));
  if (synapseDatabase !== undefined) say(`   on the database server: ${synapseDatabase.onServer.join(', ')}`);
  return {
    title: scenario.title,
    incident: scenario.incident,
    doctorBefore: summarizeDoctor(report),
    plan: { ...planSummary(plan), chosenBy: report.recommendation.action === 'inconclusive' ? 'operator' : 'doctor' },
    run: {
      id: result.run.id,
      state: result.run.state,
      ms: result.run.updatedAt.getTime() - result.run.createdAt.getTime(),
      steps: result.steps.map((s) => ({ kind: s.kind, state: s.state, ms: s.finishedAt === undefined ? undefined : s.finishedAt.getTime() - s.startedAt.getTime(), detail: s.detail })),
    },
    verify: verifyReport && { ok: verifyReport.ok, checks: verifyReport.checks.map((c) => ({ name: c.name, status: c.status, ms: c.durationMs })) },
    doctorAfter: summarizeDoctor(after),
    pvcUid: { before: scenario.pvcBefore, after: await pvcUid(kube, shape) },
    synapseDatabase,
  };
}

/** The steps of a Postgres reset that move Synapse's database aside and make a new one. */
const DATABASE_STEPS: readonly string[] = ['backup-synapse-database', 'create-synapse-database'];

/**
 * What the run did to Synapse's database (from its journaled steps' details) and which of its databases the server
 * holds now (read on the sandbox's Postgres, where the scenario made it, through the app database's connection).
 */
async function databaseAfter(connection: EnvironmentConnection, name: string, result: RunResult): Promise<DemoSynapseDatabase> {
  const detail = (kind: string) => {
    const step = result.steps.find((s) => s.kind === kind && s.state === 'finished');
    return step === undefined ? undefined : (step.detail as Record<string, unknown>);
  };
  const backup = detail('backup-synapse-database')?.['backup'];
  const created = detail('create-synapse-database');
  const rows = await sql<{ datname: string }>`
    SELECT datname FROM pg_database WHERE datname = ${name} OR starts_with(datname, ${`${name}__mr_`}) ORDER BY datname`.execute(connection.db);
  return {
    name,
    backup: typeof backup === 'string' ? backup : undefined,
    created: created !== undefined && created['alreadyCreated'] === false,
    onServer: rows.rows.map((r) => r.datname),
  };
}

function planSummary(plan: Plan): Omit<DemoScenario['plan'], 'chosenBy'> {
  return { id: plan.id, mode: plan.mode, steps: plan.steps.map((s) => s.kind) };
}

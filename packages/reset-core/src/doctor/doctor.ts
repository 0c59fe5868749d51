import { isSynapseClientError, mapConcurrent, type AdminUser, type SynapseClient } from '@matrix-reset/synapse-admin';
import {
  credentialInventory,
  DEFAULT_OWN_SCHEMA,
  discoverLayout,
  streamCredentials,
  type AnyKysely,
  type StoredCredential,
  type UserCredsContext,
} from '@matrix-reset/user-creds';
import type pg from 'pg';
import type { Kube } from '@matrix-reset/k8s-ops';
import { isSecretsError, type SecretStore } from '@matrix-reset/secrets';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { synapseDatabaseAccess } from '../connection/connect-synapse-database.ts';
import { homeserverLocation, readHomeserverDatabase, type SynapseStorage } from '../observe/observe-homeserver.ts';
import { observeSynapseDatabase, type SynapseDatabaseObservation } from '../observe/observe-synapse-database.ts';
import { deepFreeze } from '../support/deep-freeze.ts';
import { checkDoctorSecrets, type DoctorSecretsTarget } from './doctor-secrets.ts';
import { adminTokenInDatabase, classifyAgainstDatabase } from './database-evidence.ts';
import { chooseEvidence, type DoctorEvidence, type EvidenceRequest } from './doctor-evidence.ts';
import { classifyDeadToken, classifyWhoami, foreignUserVerdict, type CredentialClass } from './token-classifier.ts';


/**
 * What doctor reads: the environment's name and app database layout; with `checkSecrets`, also its secret references
 * (synapse, adminToken, origin); with `storage`, the whole environment. An `EnvironmentConfig` fits.
 */
export type DoctorTarget = Pick<EnvironmentConfig, 'name' | 'appDatabase'> & Partial<Pick<EnvironmentConfig, 'synapse' | 'adminToken' | 'origin' | 'kubernetes'>>;

export interface DoctorDependencies {
  /** A client on the environment's Synapse, carrying the admin token (used to look up users whose token is dead). */
  readonly synapse: SynapseClient;
  /** The app's database. */
  readonly db: AnyKysely;
  /** Opens the stores the config's references name; needed by `checkSecrets`. An `EnvironmentConnection` has one. */
  readonly openSecretStore?: (reference: string) => SecretStore;
  /** The cluster homeserver.yaml is read from (pod or ConfigMap), for `storage`. An `EnvironmentConnection` has it. */
  readonly kube?: Kube | undefined;
}

export interface DoctorOptions {
  /** whoami calls in flight (default 32). */
  concurrency?: number;
  /** Check only about this many credentials, evenly spaced over the rows in key order, for a quick estimate. */
  sample?: number;
  /** Only these schemas. */
  schemas?: readonly string[];
  /** Rows listed in `findings` (default 100); the counts always cover every row. */
  maxListedRows?: number;
  /** Share of checked rows whose user is missing from the server at which a full reset is recommended (default 0.5). */
  fullResetMissingRatio?: number;
  /** Called every `progressEvery` examined rows (default 500) and once at the end. */
  onProgress?: (progress: DoctorProgress) => void;
  progressEvery?: number;
  /**
   * First refuse (`config_invalid`) a config whose secrets cannot be read: a shared secret holding nothing, or, when
   * the client carries no admin token, a `dotenv:` adminToken target whose file or key is missing (see
   * `checkDoctorSecrets`), instead of reporting the admin token `absent`. For the doctor an operator runs; off by
   * default, as a plan's doctor must accept targets the plan is about to write. Needs the target's references and
   * `openSecretStore`.
   */
  checkSecrets?: boolean;
  /**
   * Also say where Synapse keeps its data (homeserver.yaml's database section) and, for Postgres, what its database
   * is like (reached read-only: `observeSynapseDatabase`) in `report.storage`. For the doctor an operator runs; a
   * plan observes this itself. Needs the whole environment as target and `openSecretStore` (and `kube` for a
   * homeserver.yaml in a pod or ConfigMap).
   */
  storage?: boolean;
  /**
   * Where verdicts come from: `api` (one whoami per credential, an admin lookup per dead token's user), `database`
   * (Synapse's own `access_tokens` and `users`, a page of credentials per query in one read-only snapshot: no load on
   * the homeserver), or `auto`: the database when Synapse's database is configured here
   * (`synapse.database` or `synapse.homeserverConfig`), answers and has a schema this version knows, else the API
   * (`report.evidence` says why). Default `auto`. The database needs the environment as target and `openSecretStore`
   * (an `EnvironmentConnection` has it): without them `auto` is the API.
   */
  evidence?: EvidenceRequest;
  /** With database evidence: also check this many credentials, picked at random, through whoami, and report disagreements. */
  crossCheck?: number;
}

/** Database verdicts checked again through whoami (`crossCheck`), and the rows where the two disagree. */
export interface CrossCheckReport {
  readonly requested: number;
  readonly checked: number;
  readonly disagreements: readonly {
    readonly schema: string;
    readonly key: string;
    readonly userId: string | null;
    readonly database: CredentialClass;
    readonly api: CredentialClass;
  }[];
}

export type ClassCounts = Readonly<Record<CredentialClass, number>>;

export interface DoctorProgress {
  readonly examined: number;
  /** Rows doctor will examine (the sample size, or every row holding a credential). */
  readonly total: number;
  readonly counts: ClassCounts;
}

/** One row that is not valid: where it is and why. Never a token. */
export interface DoctorFinding {
  readonly schema: string;
  readonly key: string;
  readonly userId: string | null;
  readonly class: CredentialClass;
  readonly reason?: string;
  /** For `wrong_owner`: who the token really belongs to. */
  readonly actualUserId?: string;
}

export interface SchemaDoctorReport {
  readonly schema: string;
  readonly examined: number;
  readonly counts: ClassCounts;
}

export type DoctorAction = 'nothing' | 'repair' | 'full-reset' | 'restore-admin' | 'inconclusive';

export interface DoctorRecommendation {
  /**
   * `nothing`: every examined credential is valid (or partial: the app re-provisions those itself), apart from rows
   * naming deactivated users (`evidence.deactivated`), which need the app's decision;
   * `repair`: tokens died but the server still has the users (mint new tokens, keep the users);
   * `full-reset`: most users are missing from the server (it was wiped): clear the stored credentials;
   * `restore-admin`: no stored credential is broken, but the admin token is dead or missing: bring one back;
   * `inconclusive`: too much could not be checked (see `reason`).
   */
  readonly action: DoctorAction;
  readonly reason: string;
  readonly evidence: {
    /** Rows with a verdict other than `partial` and `unchecked`. */
    readonly checked: number;
    readonly valid: number;
    /** unknown_token + expired + missing_user + wrong_owner: the drift a repair or a full reset fixes. */
    readonly broken: number;
    /**
     * Rows naming deactivated Matrix users: checked, not valid, yet not drift the tool repairs (it never reactivates a
     * user). They need the app's decision, and are cleared only on request (`clearDeactivated`).
     */
    readonly deactivated: number;
    readonly missingUser: number;
    readonly unchecked: number;
    /** Percentages of `checked`, one decimal. */
    readonly validPercent: number;
    readonly brokenPercent: number;
    readonly missingUserPercent: number;
  };
}

export interface DoctorReport {
  readonly environment: string;
  readonly layout: string;
  /** The admin token the client carries: whether it works as an admin (user lookups need it). */
  readonly adminToken: 'valid' | 'absent' | 'invalid' | 'not_admin' | 'unchecked';
  /** Rows holding a credential in the selected schemas (from the inventory, before the scan). */
  readonly population: number;
  /** Rows examined (all of them, or the sample). */
  readonly examined: number;
  readonly sample:
    | { readonly requested: number; readonly method: 'evenly-spaced'; readonly description: string }
    | undefined;
  readonly totals: ClassCounts;
  readonly schemas: readonly SchemaDoctorReport[];
  /** Admin user lookups made (one per distinct user id whose token was dead). */
  readonly userLookups: number;
  readonly recommendation: DoctorRecommendation;
  /** Rows that are not valid, at most `maxListedRows`. */
  readonly findings: readonly DoctorFinding[];
  /** How many rows were not valid in all (more than `findings.length` when the list was capped). */
  readonly findingsTotal: number;
  /** With `storage`: where Synapse keeps its data, and its Postgres database when it has one. */
  readonly storage: DoctorStorageReport | undefined;
  /** Where the verdicts came from (Synapse's API or its database), and why. */
  readonly evidence: DoctorEvidence;
  /** With `crossCheck` and database evidence: the sample checked again through whoami. */
  readonly crossCheck: CrossCheckReport | undefined;
  readonly durationMs: number;
}

/** Where Synapse keeps its data: homeserver.yaml's database section (no password) and, for Postgres, the database. */
export interface DoctorStorageReport {
  readonly storage: SynapseStorage;
  readonly database: SynapseDatabaseObservation | undefined;
}

function emptyCounts(): Record<CredentialClass, number> {
  return { valid: 0, unknown_token: 0, expired: 0, missing_user: 0, deactivated: 0, wrong_owner: 0, partial: 0, unchecked: 0 };
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
}


type AdminState = DoctorReport['adminToken'];

async function checkAdminToken(synapse: SynapseClient): Promise<AdminState> {
  if (!synapse.hasAccessToken) return 'absent';
  try {
    const me = await synapse.whoami();
    await synapse.admin.getUser(me.userId);
    return 'valid';
  } catch (error) {
    if (isSynapseClientError(error, 'unknown_token') || isSynapseClientError(error, 'token_soft_logout')) return 'invalid';
    if (isSynapseClientError(error, 'not_admin') || isSynapseClientError(error, 'forbidden')) return 'not_admin';
    if (isSynapseClientError(error)) return 'unchecked';
    throw error;
  }
}

/**
 * With database evidence, the admin token is judged from Synapse's tables too (no request to Synapse): the first
 * adminToken target holding one, as the connection reads it. Without the targets, when none holds a token, or when
 * they cannot be read, the client's own token through whoami, as with the API.
 */
async function adminTokenFromTables(target: DoctorTarget, dependencies: DoctorDependencies, client: pg.ClientBase): Promise<AdminState> {
  const open = dependencies.openSecretStore;
  if (target.adminToken === undefined || open === undefined) return checkAdminToken(dependencies.synapse);
  try {
    for (const candidate of target.adminToken) {
      const reading = await open(candidate.token).read();
      if (reading.exists && reading.value !== undefined && reading.value.length > 0) return await adminTokenInDatabase(client, reading.value.reveal());
    }
  } catch (error) {
    if (!isSecretsError(error)) throw error;
    return checkAdminToken(dependencies.synapse);
  }
  // No target holds a token, but the client carries one (a library caller's own): judge that one through whoami.
  return dependencies.synapse.hasAccessToken ? checkAdminToken(dependencies.synapse) : 'absent';
}

async function observeStorage(target: DoctorTarget, dependencies: DoctorDependencies): Promise<DoctorStorageReport> {
  const { openSecretStore: open, kube } = dependencies;
  const { synapse, kubernetes } = target;
  if (open === undefined || synapse === undefined) throw new TypeError('doctor: storage needs the environment (synapse, kubernetes) and openSecretStore');
  const homeserver = await readHomeserverDatabase({ ...homeserverLocation({ synapse, kubernetes }), kube });
  const env = { name: target.name, synapse, origin: target.origin };
  const database = homeserver.storage.engine === 'psycopg2' ? await observeSynapseDatabase(synapseDatabaseAccess(env, open, homeserver)) : undefined;
  return { storage: homeserver.storage, database };
}

/** Recommends from the counts; exported for the CLI's and HTTP frontends' explanations. */
export function recommend(totals: ClassCounts, fullResetMissingRatio = 0.5, adminToken?: DoctorReport['adminToken']): DoctorRecommendation {
  const broken = totals.unknown_token + totals.expired + totals.missing_user + totals.wrong_owner;
  const checked = totals.valid + broken + totals.deactivated;
  const evidence = {
    checked,
    valid: totals.valid,
    broken,
    deactivated: totals.deactivated,
    missingUser: totals.missing_user,
    unchecked: totals.unchecked,
    validPercent: percent(totals.valid, checked),
    brokenPercent: percent(broken, checked),
    missingUserPercent: percent(totals.missing_user, checked),
  };
  const of = (n: number) => `${n} of ${checked} checked credentials (${percent(n, checked)} %)`;
  let action: DoctorAction;
  let reason: string;
  if (checked === 0 && totals.unchecked > 0) {
    action = 'inconclusive';
    reason = `none of the ${totals.unchecked} credentials could be checked (see the findings' reasons)`;
  } else if (broken === 0 && totals.unchecked > 0) {
    action = 'inconclusive';
    reason = `every checked credential is valid, but ${totals.unchecked} could not be checked`;
  } else if (broken === 0 && (adminToken === 'invalid' || adminToken === 'absent')) {
    // Nothing stored is broken, but the app's admin token is: that is drift too (the app cannot provision anyone).
    action = 'restore-admin';
    reason =
      `${checked === 0 ? 'there are no stored credentials to check' : `all ${checked} checked credentials are valid`}, but ` +
      (adminToken === 'invalid' ? 'the server does not know the stored admin token' : 'no adminToken target holds an admin token') +
      ': bootstrap a working admin and write its token to every target';
  } else if (broken === 0) {
    action = 'nothing';
    reason =
      checked === 0
        ? 'no stored credentials to check'
        : totals.deactivated === 0
          ? `all ${checked} checked credentials are valid`
          : `no drift to repair: ${totals.valid} of ${checked} checked credentials are valid, and ${totals.deactivated} rows name deactivated Matrix users ` +
            "(the app's decision: matrix-reset never reactivates a user; plan --mode repair --clear-deactivated clears their credentials)";
  } else if (adminToken === 'invalid' && totals.valid === 0) {
    action = 'full-reset';
    reason = `the server knows neither the stored admin token nor any of the ${checked} checked credentials: its data was most likely reset; bootstrap a new admin and clear the stored credentials`;
  } else if (checked > 0 && totals.missing_user / checked >= fullResetMissingRatio) {
    action = 'full-reset';
    reason = `the server no longer knows the users of ${of(totals.missing_user)}: it was wiped; clear the stored credentials`;
  } else {
    action = 'repair';
    reason = `${of(broken)} are broken but the server still has ${missingRatioText(totals.missing_user, checked)} of their users: mint new tokens`;
  }
  return { action, reason, evidence };
}

function missingRatioText(missing: number, checked: number): string {
  return missing === 0 ? 'all' : `all but ${missing} (${percent(missing, checked)} %)`;
}

/** The rows a sample picks: `requested` of `population`, evenly spaced, by their position in key order. */
function sampler(requested: number | undefined, population: number): (position: number) => boolean {
  if (requested === undefined || requested >= population) return () => true;
  return (position) => position < population && Math.floor(((position + 1) * requested) / population) > Math.floor((position * requested) / population);
}

/** Credentials classified per query against Synapse's database. */
const DATABASE_PAGE_SIZE = 5000;

/** `items` in arrays of at most `size`. */
async function* pages<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const item of items) {
    page.push(item);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

interface Checkable {
  readonly row: StoredCredential;
  readonly userId: string;
  readonly token: string;
}

/**
 * Checks every stored Matrix credential (or an evenly spaced sample) against Synapse without writing anything: one
 * whoami per token at bounded concurrency, and one admin lookup per distinct user id whose token is dead (missing
 * user vs deactivated vs merely an unknown token). Returns frozen per-class counts per schema, the rows that are not
 * valid (capped, never a token) and a recommendation with its evidence.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(resolveEnvironment(await loadResetConfig(), 'dev'));
 * const report = await doctor(connection.environment, connection, { onProgress: (p) => console.error(`${p.examined}/${p.total}`) });
 * console.log(report.recommendation.action, report.totals);
 * await connection.close();
 * ```
 */
export async function doctor(target: DoctorTarget, dependencies: DoctorDependencies, options: DoctorOptions = {}): Promise<DoctorReport> {
  const started = performance.now();
  const concurrency = options.concurrency ?? 32;
  const maxListed = options.maxListedRows ?? 100;
  const progressEvery = Math.max(1, options.progressEvery ?? 500);
  if (options.sample !== undefined && (!Number.isInteger(options.sample) || options.sample < 1)) {
    throw new RangeError(`sample must be a positive integer, got ${options.sample}`);
  }
  if (options.crossCheck !== undefined && (!Number.isInteger(options.crossCheck) || options.crossCheck < 0)) {
    throw new RangeError(`crossCheck must be a whole number, got ${options.crossCheck}`);
  }
  const { synapse, db } = dependencies;
  if (options.checkSecrets === true) {
    if (dependencies.openSecretStore === undefined || target.synapse === undefined || target.adminToken === undefined) {
      throw new TypeError('doctor: checkSecrets needs the environment (synapse, adminToken) and openSecretStore');
    }
    const secretsTarget: DoctorSecretsTarget = { name: target.name, synapse: target.synapse, adminToken: target.adminToken, origin: target.origin };
    await checkDoctorSecrets(secretsTarget, dependencies.openSecretStore, synapse.hasAccessToken);
  }
  const storage = options.storage === true ? await observeStorage(target, dependencies) : undefined;
  const layout = target.appDatabase.layout;
  const ctx: UserCredsContext = { db, layout, ownSchema: DEFAULT_OWN_SCHEMA };

  const discovery = await discoverLayout(db, layout, { rowCounts: 'estimate' });
  const selected = discovery.schemas.filter((s) => s.usable && (options.schemas === undefined || options.schemas.includes(s.schema)));
  const inventory = await credentialInventory(ctx, { ...discovery, schemas: selected });
  const population = inventory.reduce((sum, schema) => sum + schema.withCredentials, 0);
  const picks = sampler(options.sample, population);
  const total = options.sample === undefined ? population : Math.min(options.sample, population);
  const columns = new Map(selected.map((s) => [s.schema, { userId: s.userId.present, token: s.accessToken.present }]));

  const { evidence, session } = await chooseEvidence(target, dependencies, options.evidence ?? 'auto');
  let adminToken: AdminState;
  try {
    adminToken = session === undefined ? await checkAdminToken(synapse) : await adminTokenFromTables(target, dependencies, session.client);
  } catch (error) {
    await session?.close();
    throw error;
  }

  const totals = emptyCounts();
  const perSchema = new Map<string, Record<CredentialClass, number>>();
  const findings: DoctorFinding[] = [];
  let findingsTotal = 0;
  let examined = 0;

  const record = (row: StoredCredential, verdict: { class: CredentialClass; reason?: string | undefined; actualUserId?: string | undefined }): void => {
    totals[verdict.class]++;
    let counts = perSchema.get(row.schema);
    if (counts === undefined) perSchema.set(row.schema, (counts = emptyCounts()));
    counts[verdict.class]++;
    examined++;
    if (verdict.class !== 'valid') {
      findingsTotal++;
      if (findings.length < maxListed) {
        findings.push({
          schema: row.schema,
          key: row.key,
          userId: row.userId,
          class: verdict.class,
          ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
          ...(verdict.actualUserId === undefined ? {} : { actualUserId: verdict.actualUserId }),
        });
      }
    }
    if (options.onProgress !== undefined && examined % progressEvery === 0) options.onProgress({ examined, total, counts: { ...totals } });
  };

  // Rows that cannot be checked are recorded while streaming; the rest go to whoami.
  async function* checkable(): AsyncGenerator<Checkable> {
    let position = 0;
    for await (const row of streamCredentials(ctx, { pageSize: 2000, ...(options.schemas ? { schemas: options.schemas } : {}) })) {
      if (!picks(position++)) continue;
      const present = columns.get(row.schema) ?? { userId: true, token: true };
      // A NULL device id alone is not partial: admin login-as (how OpenMeet and ensure-credentials replace a dead
      // token) mints tokens without a device, so such a row is judged by whoami like any other.
      if ((present.userId && row.userId === null) || (present.token && row.accessToken === null)) {
        record(row, { class: 'partial' });
      } else if (row.accessToken === null || row.userId === null) {
        record(row, { class: 'unchecked', reason: `${row.schema}.${layout.table} has no ${row.accessToken === null ? 'access token' : 'user id'} column` });
      } else {
        yield { row, userId: row.userId, token: row.accessToken };
      }
    }
  }

  // One admin lookup per distinct user id, shared by every row naming it.
  const lookups = new Map<string, Promise<{ status: 'fulfilled'; value: AdminUser | undefined } | { status: 'rejected'; reason: unknown }>>();
  const lookup = (userId: string) => {
    let pending = lookups.get(userId);
    if (pending === undefined) {
      pending = synapse.admin.getUser(userId).then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      );
      lookups.set(userId, pending);
    }
    return pending;
  };
  const canLookUp = adminToken === 'valid';

  const check = async (item: Checkable): Promise<{ class: CredentialClass; reason?: string; actualUserId?: string }> => {
    const outcome = await synapse.withAccessToken(item.token).whoami().then(
      (value) => ({ status: 'fulfilled' as const, value }),
      (reason: unknown) => ({ status: 'rejected' as const, reason }),
    );
    const verdict = classifyWhoami(item.userId, outcome);
    if (verdict.kind === 'final') return verdict;
    const foreign = foreignUserVerdict(item.userId, target.synapse?.serverName);
    if (foreign !== undefined) return foreign;
    if (!canLookUp) {
      // The token is dead for certain; without a working admin token the user cannot be looked up. When the server
      // does not know our admin token either, that is itself evidence of a reset: count the row as unknown_token.
      if (adminToken === 'invalid') return { class: 'unknown_token', reason: 'token unknown; user not looked up (the admin token is unknown too)' };
      return { class: 'unchecked', reason: `token unknown; user not looked up (admin token ${adminToken})` };
    }
    return classifyDeadToken(await lookup(item.userId));
  };

  let crossCheck: CrossCheckReport | undefined;
  if (session === undefined) {
    for await (const result of mapConcurrent(checkable(), concurrency, check)) {
      if (result.status === 'rejected') throw result.reason;
      record(result.input.row, result.value);
    }
  } else {
    const wanted = options.crossCheck ?? 0;
    const picked: { item: Checkable; database: CredentialClass }[] = [];
    let seen = 0;
    try {
      // One snapshot of Synapse's tables for every page.
      await session.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      for await (const page of pages(checkable(), DATABASE_PAGE_SIZE)) {
        const verdicts = await classifyAgainstDatabase(session.client, page, { serverName: target.synapse?.serverName });
        for (const [n, item] of page.entries()) {
          const verdict = verdicts[n]!;
          record(item.row, verdict);
          // Reservoir sampling: every row equally likely to be cross-checked, in one pass.
          seen++;
          if (picked.length < wanted) picked.push({ item, database: verdict.class });
          else if (wanted > 0 && Math.random() * seen < wanted) picked[Math.floor(Math.random() * wanted)] = { item, database: verdict.class };
        }
      }
      await session.client.query('COMMIT');
    } finally {
      await session.close();
    }
    if (options.crossCheck !== undefined) {
      const disagreements: CrossCheckReport['disagreements'][number][] = [];
      for await (const result of mapConcurrent(picked, concurrency, (p) => check(p.item))) {
        if (result.status === 'rejected') throw result.reason;
        const { item, database } = result.input;
        if (result.value.class !== database) disagreements.push({ schema: item.row.schema, key: item.row.key, userId: item.row.userId, database, api: result.value.class });
      }
      crossCheck = { requested: wanted, checked: picked.length, disagreements };
    }
  }
  options.onProgress?.({ examined, total, counts: { ...totals } });

  const schemas = selected
    .filter((s) => perSchema.has(s.schema))
    .map((s) => ({ schema: s.schema, examined: Object.values(perSchema.get(s.schema)!).reduce((a, b) => a + b, 0), counts: perSchema.get(s.schema)! }));

  return deepFreeze({
    environment: target.name,
    layout: layout.name,
    adminToken,
    population,
    examined,
    sample:
      options.sample === undefined
        ? undefined
        : {
            requested: options.sample,
            method: 'evenly-spaced' as const,
            description: `${examined} of ${population} rows, evenly spaced in key order (schema by schema): counts are of the sample, not every row`,
          },
    totals,
    schemas,
    userLookups: lookups.size,
    recommendation: recommend(totals, options.fullResetMissingRatio, adminToken),
    findings,
    findingsTotal,
    storage,
    evidence,
    crossCheck,
    durationMs: Math.round(performance.now() - started),
  });
}

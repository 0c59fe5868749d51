import { sql } from 'kysely';
import { SecretValue } from '@matrix-reset/secrets';
import { AuthModeUnsupportedError, isSynapseClientError, type SynapseClient } from '@matrix-reset/synapse-admin';
import {
  DEFAULT_OWN_SCHEMA,
  readCredentials,
  renderLocalpart,
  writeCredentials,
  type AnyKysely,
  type CredentialLayout,
  type StoredCredential,
  type UserCredsContext,
} from '@matrix-reset/user-creds';
import { ResetError } from '../reset-error.ts';
import { SingleFlight } from '../support/single-flight.ts';


/** Lifetime of a minted login-as token unless configured: 90 days, as OpenMeet does it. */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

/** How long a call waits for another process provisioning the same user before giving up (`locked`). */
export const DEFAULT_ENSURE_LOCK_TIMEOUT_MS = 30_000;

/** Where a returned token came from. */
export type CredentialSource = 'kept' | 'login-as' | 'created';

/** Working credentials for one app user. `accessToken` is a live secret: it prints as `[redacted]`; `reveal()` it. */
export interface EnsuredCredentials {
  readonly userId: string;
  /** The stored device id for a kept token; `undefined` for login-as tokens (they have no device). */
  readonly deviceId: string | undefined;
  readonly accessToken: SecretValue;
  readonly source: CredentialSource;
}

/** One event per decision, for logs and metrics: never a token. */
export type EnsureCredentialsEvent =
  | { type: 'ensured'; schema: string; key: string; userId: string; source: CredentialSource; durationMs: number }
  | { type: 'write_conflict'; schema: string; key: string; userId: string }
  | { type: 'unused_token_revoke_failed'; schema: string; key: string; userId: string; reason: string };

export interface EnsureCredentialsDeps {
  /** The app's Postgres. Its pool should allow a few connections: provisioning holds one while it locks. */
  db: AnyKysely;
  /** Where the app keeps credentials (user-creds' `openmeetLayout()`, `runbookLayout()` or a custom one). */
  layout: CredentialLayout;
  /** A client carrying a Synapse admin's access token (needed for getUser, create and login-as). */
  synapse: SynapseClient;
  /** The homeserver's `server_name`: user ids are `@<localpart>:<serverName>`. */
  serverName: string;
  /** Lifetime of minted tokens (default {@link DEFAULT_TOKEN_LIFETIME_MS}). */
  tokenLifetimeMs?: number;
  /** Wait at most this long for another process provisioning the same user (default 30 s), then `locked`. */
  lockTimeoutMs?: number;
  /** The clock, in ms since the epoch. */
  now?: () => number;
  /**
   * Joins concurrent calls for one user inside this process. Default: one per `db` instance, so every caller
   * sharing a Kysely shares it.
   */
  singleFlight?: SingleFlight<EnsuredCredentials>;
  /** Receives one event per decision (never a token). A throwing listener does not break the call. */
  onEvent?: (event: EnsureCredentialsEvent) => void;
}

export interface EnsureCredentialsOptions {
  /** The app user's key column value (OpenMeet: `users.id`). */
  appUserKey: string | number;
  /** The schema the row lives in (OpenMeet: `tenant_<id>`). Optional when the layout names exactly one schema. */
  schema?: string;
}

/** Why {@link ensureCredentials} refused, beyond the library errors it passes through. */
export type EnsureCredentialsFailure = 'app_user_not_found' | 'matrix_user_deactivated' | 'user_id_unknown' | 'schema_required' | 'schema_not_in_layout' | 'write_contended';

/**
 * An expected failure of {@link ensureCredentials}: a {@link ResetError} (`step_failed`, or `config_invalid` for a
 * missing schema) with a finer `reason`, the schema and the app user's key. Never carries a token.
 */
export class EnsureCredentialsError extends ResetError {
  readonly reason: EnsureCredentialsFailure;
  readonly schema: string | undefined;
  readonly appUserKey: string;

  constructor(options: { reason: EnsureCredentialsFailure; schema: string | undefined; appUserKey: string; message: string; nextSteps: readonly string[]; cause?: unknown }) {
    super(options.reason, options.message, { nextSteps: options.nextSteps, ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.reason = options.reason;
    this.schema = options.schema;
    this.appUserKey = options.appUserKey;
  }
}

const defaultFlights = new WeakMap<AnyKysely, SingleFlight<EnsuredCredentials>>();

/** Localparts Synapse accepts for new users (the historical, wider set is only grandfathered in). */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

/**
 * Returns working Matrix credentials for one app user, provisioning them when needed: the runbook's "new
 * credentials will be provisioned automatically on the next interaction" as one call.
 *
 * 1. A stored token that `whoami` accepts for the user id the row names is kept (no new token).
 * 2. Otherwise, if that Matrix user exists, a token is minted with admin login-as (`valid_until_ms` = now +
 *    `tokenLifetimeMs`, default 90 days); password login is never used (it is rate limited per IP).
 * 3. Otherwise the user is created with the admin API (`PUT /_synapse/admin/v2/users/<id>`, without a password:
 *    no secret exists that could leak, and only the admin token is needed) and logged in with login-as.
 *    The user id is the one the row names, or `@<localpart>:<serverName>` from the layout's localpart template.
 *
 * The new values are written with compare-and-set on the token that was read; when another writer got there first,
 * its value is used if `whoami` accepts it (and the token just minted is revoked). Concurrent calls for one user
 * share one attempt in this process ({@link SingleFlight}) and queue on a Postgres advisory lock
 * (`pg_advisory_xact_lock`, keyed by a hash of schema, table and key) across processes, both keyed by the row's key
 * as Postgres returns it (so `"01"` and `1` for an integer key are one user), so a thousand concurrent
 * calls create one Matrix user and one token. A deactivated Matrix user is never reactivated: that is an
 * {@link EnsureCredentialsError} with next steps. Under delegated auth (Matrix Authentication Service) it throws a
 * `delegated_auth` {@link ResetError}.
 *
 * @example
 * ```ts
 * import { createSynapseClient } from '@matrix-reset/synapse-admin';
 * import { openmeetLayout, postgresKysely } from '@matrix-reset/user-creds';
 *
 * const deps = {
 *   db: postgresKysely({ connectionString: 'postgres://localhost/openmeet', max: 8 }),
 *   layout: openmeetLayout(),
 *   synapse: createSynapseClient({ baseUrl: 'http://127.0.0.1:8008', accessToken: 'syt_admin_token' }),
 *   serverName: 'matrix.openmeet.test',
 * };
 * const credentials = await ensureCredentials(deps, { schema: 'tenant_acme', appUserKey: 42 });
 * console.error(credentials.userId, credentials.source); // never log credentials.accessToken.reveal()
 * ```
 */
export function ensureCredentials(deps: EnsureCredentialsDeps, options: EnsureCredentialsOptions): Promise<EnsuredCredentials> {
  const key = String(options.appUserKey);
  let schema: string;
  try {
    schema = resolveSchema(deps.layout, options.schema, key);
  } catch (error) {
    return Promise.reject(error);
  }
  let flights = deps.singleFlight ?? defaultFlights.get(deps.db);
  if (flights === undefined) {
    flights = new SingleFlight<EnsuredCredentials>();
    defaultFlights.set(deps.db, flights);
  }
  const joined = flights;
  // Two levels: identical requests share one row read; then every spelling of one row ("1", "01", 1 for an integer
  // key) shares one attempt, keyed by the key as Postgres returns it (the advisory lock uses that key too).
  return joined.run(JSON.stringify(['request', deps.layout.table, schema, key]), async () => {
    const started = performance.now();
    let row: StoredCredential;
    try {
      row = await readRow(deps, deps.db, schema, options.appUserKey);
    } catch (error) {
      throw translateError(error, deps, schema, key);
    }
    return joined.run(JSON.stringify(['row', deps.layout.table, schema, row.key]), () => ensureOnce(deps, schema, key, row, started));
  });
}

function resolveSchema(layout: CredentialLayout, schema: string | undefined, key: string): string {
  if (schema !== undefined) return schema;
  const only = layout.schemas.like.length === 0 && layout.schemas.names.length === 1 ? layout.schemas.names[0] : undefined;
  if (only !== undefined) return only;
  throw new EnsureCredentialsError({
    reason: 'schema_required',
    schema: undefined,
    appUserKey: key,
    message: `Layout ${layout.name} covers several schemas: say which one holds app user ${key}`,
    nextSteps: ["Pass { schema: 'tenant_<id>', appUserKey } to ensureCredentials."],
  });
}

/** `key` is the caller's spelling (for events and errors); `row.key` is the database's, used for locking and reads. */
async function ensureOnce(deps: EnsureCredentialsDeps, schema: string, key: string, row: StoredCredential, started: number): Promise<EnsuredCredentials> {
  try {
    // Fast path, no lock: a stored token that still works is the common case.
    const kept = await keepIfValid(deps, deps.db, schema, row);
    const result = kept ?? (await deps.db.transaction().execute(async (trx) => {
      await lockUser(trx, deps, schema, row.key);
      return provisionLocked(deps, trx, schema, row.key, key);
    }));
    emit(deps, { type: 'ensured', schema, key, userId: result.userId, source: result.source, durationMs: Math.round(performance.now() - started) });
    return result;
  } catch (error) {
    throw translateError(error, deps, schema, key);
  }
}

/** The row under the advisory lock: re-check, then mint or create, then compare-and-set. */
async function provisionLocked(deps: EnsureCredentialsDeps, trx: AnyKysely, schema: string, rowKey: string, key: string): Promise<EnsuredCredentials> {
  const ctx: UserCredsContext = { db: trx, layout: deps.layout, ownSchema: DEFAULT_OWN_SCHEMA };
  for (let attempt = 1; attempt <= 3; attempt++) {
    const row = await readRow(deps, trx, schema, rowKey);
    const kept = await keepIfValid(deps, trx, schema, row);
    if (kept !== undefined) return kept;

    await requireNativeAuth(deps);
    const userId = await expectedUserId(deps, trx, schema, row);
    if (userId === undefined) throw userIdUnknown(deps, schema, key);
    const existing = await deps.synapse.admin.getUser(userId);
    if (existing?.deactivated === true) {
      throw new EnsureCredentialsError({
        reason: 'matrix_user_deactivated',
        schema,
        appUserKey: key,
        message: `Matrix user ${userId} (app user ${key} in ${schema}) is deactivated; it was not reactivated`,
        nextSteps: [
          `If the user should chat again, reactivate it on purpose: PUT /_synapse/admin/v2/users/${userId} with {"deactivated": false, "password": "<new password>"}, then call again.`,
          `Or point the row at another Matrix user: clear its ${deps.layout.columns.userId} so a new one is provisioned from the localpart template.`,
        ],
      });
    }
    let source: CredentialSource = 'login-as';
    if (existing === undefined) {
      await deps.synapse.admin.upsertUser(userId, {});
      source = 'created';
    }
    const validUntilMs = (deps.now ?? Date.now)() + (deps.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS);
    const { accessToken } = await deps.synapse.admin.loginAsUser(userId, { validUntilMs });
    const written = await writeCredentials(ctx, { schema, key: rowKey, expectedAccessToken: row.accessToken, userId, accessToken, deviceId: null });
    if (written.status === 'written') return Object.freeze({ userId, deviceId: undefined, accessToken: new SecretValue(accessToken), source });
    if (written.status === 'not_found') throw appUserNotFound(deps, schema, key);
    // Someone outside our lock (the app itself) wrote first: ours is unused. Revoke it, re-read, keep theirs if it works.
    emit(deps, { type: 'write_conflict', schema, key, userId });
    await revokeUnused(deps, schema, key, userId, accessToken);
  }
  throw new EnsureCredentialsError({
    reason: 'write_contended',
    schema,
    appUserKey: key,
    message: `App user ${key} in ${schema}: another writer changed the Matrix token three times while this call provisioned it, each time with a token that does not work`,
    nextSteps: ['Find the other writer (the app, another tool) and stop it writing tokens Synapse rejects, then call again.'],
  });
}

/** The row for `appUserKey`; its `key` is the key column as text, as Postgres spells it (`01` reads back as `1`). */
async function readRow(deps: EnsureCredentialsDeps, db: AnyKysely, schema: string, appUserKey: string | number): Promise<StoredCredential> {
  const row = await readCredentials({ db, layout: deps.layout, ownSchema: DEFAULT_OWN_SCHEMA }, { schema, key: appUserKey });
  if (row === undefined) throw appUserNotFound(deps, schema, String(appUserKey));
  return row;
}

/** The stored credentials when `whoami` accepts the token for the user the row should hold; otherwise undefined. */
async function keepIfValid(deps: EnsureCredentialsDeps, db: AnyKysely, schema: string, row: StoredCredential): Promise<EnsuredCredentials | undefined> {
  if (row.accessToken === null) return undefined;
  const userId = await expectedUserId(deps, db, schema, row);
  if (userId === undefined) return undefined;
  let me;
  try {
    me = await deps.synapse.withAccessToken(row.accessToken).whoami();
  } catch (error) {
    // A dead token is the reason we are here; anything else (Synapse down, 5xx) must not make us replace a token.
    if (isSynapseClientError(error, 'unknown_token') || isSynapseClientError(error, 'token_soft_logout') || isSynapseClientError(error, 'user_deactivated')) {
      return undefined;
    }
    throw error;
  }
  if (me.userId !== userId) return undefined;
  return Object.freeze({ userId, deviceId: row.deviceId ?? me.deviceId, accessToken: new SecretValue(row.accessToken), source: 'kept' as const });
}

/**
 * The Matrix user the row should hold: the user id it names when that is on this server, else the one the layout's
 * localpart template gives. Undefined when neither is available.
 */
async function expectedUserId(deps: EnsureCredentialsDeps, db: AnyKysely, schema: string, row: StoredCredential): Promise<string | undefined> {
  if (row.userId !== null && row.userId.endsWith(`:${deps.serverName}`) && row.userId.startsWith('@')) return row.userId;
  const template = deps.layout.localpartTemplate;
  if (template === undefined) return undefined;
  const result = await sql<{ r: Record<string, unknown> }>`
    SELECT to_jsonb(t) AS r FROM ${sql.id(schema, deps.layout.table)} t WHERE ${sql.id(deps.layout.keyColumn)}::text = ${row.key}`.execute(db);
  const values = result.rows[0]?.r;
  if (values === undefined) return undefined;
  const localpart = renderLocalpart(template, values, schema);
  if (localpart === undefined || !LOCALPART.test(localpart)) return undefined;
  return `@${localpart}:${deps.serverName}`;
}

/** Serializes provisioning of one user across processes, until the transaction ends. */
async function lockUser(trx: AnyKysely, deps: EnsureCredentialsDeps, schema: string, key: string): Promise<void> {
  const lockTimeoutMs = deps.lockTimeoutMs ?? DEFAULT_ENSURE_LOCK_TIMEOUT_MS;
  await sql`SELECT set_config('lock_timeout', ${`${Math.max(1, Math.round(lockTimeoutMs))}ms`}, true)`.execute(trx);
  const lockName = JSON.stringify(['matrix-reset:ensure-credentials', schema, deps.layout.table, key]);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${lockName}, 0))`.execute(trx);
}

async function requireNativeAuth(deps: EnsureCredentialsDeps): Promise<void> {
  const { mode, evidence } = await deps.synapse.detectAuthMode();
  if (mode === 'delegated') throw new AuthModeUnsupportedError({ capability: 'shared_secret_registration', evidence });
}

async function revokeUnused(deps: EnsureCredentialsDeps, schema: string, key: string, userId: string, accessToken: string): Promise<void> {
  try {
    await deps.synapse.withAccessToken(accessToken).logout();
  } catch (error) {
    // The call can still succeed with the other writer's token; the unused one expires with its valid_until_ms.
    emit(deps, { type: 'unused_token_revoke_failed', schema, key, userId, reason: isSynapseClientError(error) ? error.code : 'error' });
  }
}

function emit(deps: EnsureCredentialsDeps, event: EnsureCredentialsEvent): void {
  try {
    deps.onEvent?.(Object.freeze(event));
  } catch {
    // A listener must not break provisioning.
  }
}

function appUserNotFound(deps: EnsureCredentialsDeps, schema: string, key: string): EnsureCredentialsError {
  return new EnsureCredentialsError({
    reason: 'app_user_not_found',
    schema,
    appUserKey: key,
    message: `No row with ${deps.layout.keyColumn} = ${key} in ${schema}.${deps.layout.table}`,
    nextSteps: ['Check the schema (tenant) and the key: ensureCredentials provisions existing app users only.'],
  });
}

function userIdUnknown(deps: EnsureCredentialsDeps, schema: string, key: string): EnsureCredentialsError {
  return new EnsureCredentialsError({
    reason: 'user_id_unknown',
    schema,
    appUserKey: key,
    message:
      `App user ${key} in ${schema} names no Matrix user on ${deps.serverName}` +
      (deps.layout.localpartTemplate === undefined
        ? ` and layout ${deps.layout.name} has no localpart template`
        : ` and its localpart template ${deps.layout.localpartTemplate} gives no valid localpart (a column is NULL, or characters outside a-z 0-9 . _ = - / +)`),
    nextSteps: [
      `Give the layout a localpartTemplate (e.g. '{slug}_{tenant}'), or store the Matrix user id in ${deps.layout.columns.userId} first.`,
    ],
  });
}

/** Postgres' invalid_text_representation and numeric_value_out_of_range: the key cannot be a value of the key column. */
const KEY_DOES_NOT_FIT: ReadonlySet<string> = new Set(['22P02', '22003']);

function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The caller's mistakes that reach us as database or library errors, as the refusals they are: a key the key column
 * cannot hold (`abc` or `99999999999` for an integer id) is an app user that does not exist (the key is opaque to the
 * caller; its column type is the layout's business), and a schema the layout does not cover is named as such.
 */
function translateError(error: unknown, deps: EnsureCredentialsDeps, schema: string, key: string): unknown {
  const state = sqlState(error);
  if (state !== undefined && KEY_DOES_NOT_FIT.has(state)) {
    return new EnsureCredentialsError({
      reason: 'app_user_not_found',
      schema,
      appUserKey: key,
      message: `No app user ${key} in ${schema}: the key is not a value the key column ${deps.layout.keyColumn} can hold`,
      nextSteps: [`Check the key: it is the app user's ${deps.layout.keyColumn} (e.g. its numeric id); only existing app users are provisioned.`],
      cause: error,
    });
  }
  if (error instanceof Error && error.name === 'UserCredsError' && (error as { code?: unknown }).code === 'no_usable_schema') {
    const layout = deps.layout;
    const rule = [
      ...(layout.schemas.names.length > 0 ? [`names ${layout.schemas.names.join(', ')}`] : []),
      ...(layout.schemas.like.length > 0 ? [`LIKE patterns ${layout.schemas.like.join(', ')}`] : []),
    ].join(' and ');
    return new EnsureCredentialsError({
      reason: 'schema_not_in_layout',
      schema,
      appUserKey: key,
      message: `${schema} is not a schema layout ${layout.name} covers with a usable ${layout.table} table`,
      nextSteps: [
        `Name a schema the layout covers: appDatabase.layout.schemas selects ${rule || 'no schema'}, and it must hold a ${layout.table} table with the key column ${layout.keyColumn}.`,
        'Omit the schema when the layout names exactly one.',
      ],
      cause: error,
    });
  }
  if (error instanceof AuthModeUnsupportedError) {
    return new ResetError('delegated_auth', `${deps.synapse.baseUrl} delegates authentication to the Matrix Authentication Service: matrix-reset cannot create users or mint tokens there`, {
      nextSteps: [
        'Provision app users through the Matrix Authentication Service instead: `mas-cli manage register-user <username>`, then `mas-cli manage issue-compatibility-token <username>`, and store that token in the app database.',
        'Do not create users with the Synapse admin API on this server: the auth service would not know them.',
      ],
      cause: error,
    });
  }
  if (state === '55P03') {
    // Not the environment lock (`locked`, a run holds it): one user's provisioning queue, busy for a moment.
    return new EnsureCredentialsError({
      reason: 'write_contended',
      schema,
      appUserKey: key,
      message: `App user ${key} in ${schema}: another process has been provisioning this user for over ${deps.lockTimeoutMs ?? DEFAULT_ENSURE_LOCK_TIMEOUT_MS} ms`,
      nextSteps: ["Call again in a moment; if it persists, look for a stuck session holding the advisory lock (pg_locks where locktype = 'advisory')."],
      cause: error,
    });
  }
  return error;
}

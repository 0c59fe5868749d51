import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthModeUnsupportedError, isSynapseClientError, redactSecrets, type SynapseClient, type SynapseErrorCode } from '@matrix-reset/synapse-admin';
import { isResetError, ResetError, type ResetErrorCode } from '../reset-error.ts';

/** The checks of {@link verify}, in the order they run. */
export const VERIFY_CHECKS = ['admin_token', 'provision_user_1', 'provision_user_2', 'room', 'messaging', 'cleanup'] as const;
export type VerifyCheckName = (typeof VERIFY_CHECKS)[number];

/** What each check proves, for tables and progress lines. */
export const VERIFY_CHECK_TITLES: Readonly<Record<VerifyCheckName, string>> = Object.freeze({
  admin_token: 'Admin token works and is a server admin',
  provision_user_1: 'Provision a Matrix user as the app does (user 1)',
  provision_user_2: 'Provision a Matrix user as the app does (user 2)',
  room: 'User 1 creates a private room, user 2 joins',
  messaging: 'User 1 sends a message, user 2 reads it back',
  cleanup: 'Delete the room, deactivate the users',
});

/**
 * Why a check failed: reset-core's codes (`delegated_auth`), synapse-admin's (`unknown_token`, `not_admin`,
 * `rate_limited`, `connection_refused`, ...) and verify's own: `admin_token_missing` (no reference holds a token),
 * `message_not_seen` (user 2 did not read the nonce user 1 sent), `wrong_user` (a minted token belongs to someone
 * else), `cleanup_incomplete` (some artifact could not be removed).
 */
export type VerifyFailureCode = ResetErrorCode | SynapseErrorCode | 'admin_token_missing' | 'message_not_seen' | 'wrong_user' | 'cleanup_incomplete';

/** `passed`; `failed` (with `error`); `skipped` because an earlier check failed, or cleanup with `keepArtifacts`. */
export type VerifyCheckStatus = 'passed' | 'failed' | 'skipped';

/** One check's outcome. Never carries a token. */
export interface VerifyCheck {
  readonly name: VerifyCheckName;
  readonly title: string;
  readonly status: VerifyCheckStatus;
  /** `status === 'passed'`. */
  readonly ok: boolean;
  readonly durationMs: number;
  /** What was done and seen, or why it was skipped. */
  readonly detail: string;
  readonly error?: { readonly code: VerifyFailureCode; readonly message: string; readonly nextSteps: readonly string[] };
}

/** What verify created on the homeserver (removed by cleanup unless `keepArtifacts`). */
export interface VerifyArtifacts {
  readonly userIds: readonly string[];
  readonly roomId: string | undefined;
  /** True when cleanup was skipped on request and they still exist. */
  readonly kept: boolean;
}

export interface VerifyReport {
  readonly environment: string;
  /** True when no check failed (cleanup skipped with `keepArtifacts` does not count against it). */
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
  readonly artifacts: VerifyArtifacts;
  readonly durationMs: number;
}

/** What verify needs of a connection: an `EnvironmentConnection` fits. */
export interface VerifyConnection {
  /** A client on the environment's Synapse carrying the admin token (or none: the first check says so). */
  readonly synapse: SynapseClient;
  readonly environment: { readonly name: string; readonly synapse: { readonly serverName: string } };
  /** Where the admin token was read from, named in next steps. */
  readonly adminTokenSource?: string | undefined;
}

export type VerifyProgress =
  | { readonly type: 'started'; readonly name: VerifyCheckName; readonly title: string }
  | { readonly type: 'finished'; readonly check: VerifyCheck };

export interface VerifyOptions {
  /** Leave the throwaway users and room in place (cleanup is reported as skipped, with what to remove by hand). */
  keepArtifacts?: boolean;
  /** Called when each check starts and finishes. A throwing listener does not break verify. */
  onProgress?: (progress: VerifyProgress) => void;
  /** Lifetime of the login-as tokens minted for the throwaway users (default 15 minutes). */
  tokenLifetimeMs?: number;
  /** How long to wait for the room's purge (default 60 s). */
  roomDeleteTimeoutMs?: number;
  /** How long user 2 keeps looking for the message (default 5 s). */
  messageTimeoutMs?: number;
}

/** Localpart prefix of the throwaway users: `mr-verify-<random hex>`. */
export const VERIFY_USER_PREFIX = 'mr-verify-';

interface ThrowawayUser {
  readonly userId: string;
  /** The login-as token (short-lived; never reported). */
  readonly accessToken: string;
  readonly client: SynapseClient;
}

/** A check that failed in an expected way; anything else thrown in a check is a bug. */
class CheckFailure extends Error {
  readonly code: VerifyFailureCode;
  readonly nextSteps: readonly string[];
  constructor(code: VerifyFailureCode, message: string, nextSteps: readonly string[] = []) {
    super(message);
    this.code = code;
    this.nextSteps = nextSteps;
  }
}

/**
 * Proves, end to end, that the app can use Matrix again after a reset (the runbook's step 6, "Test Integration"):
 *
 * 1. `admin_token`: the admin token is accepted (`whoami`) and is a server admin (an admin user lookup);
 * 2. `provision_user_1`, 3. `provision_user_2`: a throwaway user `@mr-verify-<random>:<serverName>` is provisioned the
 *    way `ensureCredentials` does it (admin `PUT /_synapse/admin/v2/users` without a password, then login-as with a
 *    short-lived token), its message rate limit lifted (`override_ratelimit`) so verify never trips `rc_message` or
 *    room-creation limits, and `whoami` confirms the minted token. The app database is never written;
 * 4. `room`: user 1 creates a private room inviting user 2, and user 2 joins;
 * 5. `messaging`: user 1 sends a message carrying a random nonce; it passes only if user 2 reads that exact text back;
 * 6. `cleanup`: the room is deleted with purge (admin v2, waiting for completion) and both users deactivated with
 *    erase. It runs after any failure too, and is skipped (reported, with what to remove) under `keepArtifacts`.
 *
 * A failed check never throws: it is `failed` with a typed `code` and `nextSteps`, and the checks that needed it are
 * `skipped`. Under delegated auth (Matrix Authentication Service) the provisioning checks fail with `delegated_auth`.
 * Only a bug (an untyped error) is thrown, after cleanup. No token appears in the report or the progress events.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(resolveEnvironment(await loadResetConfig(), 'dev'));
 * try {
 *   const report = await verify(connection, { onProgress: (p) => p.type === 'finished' && console.error(p.check.name, p.check.status) });
 *   if (!report.ok) console.error(report.checks.filter((check) => check.status === 'failed'));
 * } finally {
 *   await connection.close();
 * }
 * ```
 */
export async function verify(connection: VerifyConnection, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const admin = connection.synapse;
  const serverName = connection.environment.synapse.serverName;
  const secrets: string[] = [];
  const checks: VerifyCheck[] = [];
  const createdUsers: string[] = [];
  let roomId: string | undefined;
  let bug: unknown;

  const progress = (event: VerifyProgress): void => {
    try {
      options.onProgress?.(Object.freeze(event));
    } catch {
      // A listener must not break verify.
    }
  };
  const record = (check: VerifyCheck): void => {
    const frozen = Object.freeze(check);
    checks.push(frozen);
    progress({ type: 'finished', check: frozen });
  };
  const skip = (name: VerifyCheckName, detail: string): void => {
    record({ name, title: VERIFY_CHECK_TITLES[name], status: 'skipped', ok: false, durationMs: 0, detail });
  };
  /** Runs one check; true when it passed. A bug is kept (to throw after cleanup) and fails nothing further. */
  const run = async (name: VerifyCheckName, body: () => Promise<string>): Promise<boolean> => {
    progress({ type: 'started', name, title: VERIFY_CHECK_TITLES[name] });
    const checkStarted = performance.now();
    const durationMs = () => Math.round(performance.now() - checkStarted);
    try {
      const detail = await body();
      record({ name, title: VERIFY_CHECK_TITLES[name], status: 'passed', ok: true, durationMs: durationMs(), detail: scrub(detail, secrets) });
      return true;
    } catch (error) {
      const failure = asFailure(error, connection);
      if (failure === undefined) {
        bug = error;
        record({ name, title: VERIFY_CHECK_TITLES[name], status: 'skipped', ok: false, durationMs: durationMs(), detail: 'stopped by an unexpected error (thrown after cleanup)' });
        return false;
      }
      const message = scrub(failure.message, secrets);
      record({
        name,
        title: VERIFY_CHECK_TITLES[name],
        status: 'failed',
        ok: false,
        durationMs: durationMs(),
        detail: message,
        error: Object.freeze({ code: failure.code, message, nextSteps: Object.freeze(failure.nextSteps.map((step) => scrub(step, secrets))) }),
      });
      return false;
    }
  };

  const adminOk = await run('admin_token', () => checkAdminToken(admin));

  // Provisioning: under delegated auth this path cannot work whatever the token, so say so even after a bad token.
  let user1: ThrowawayUser | undefined;
  let user2: ThrowawayUser | undefined;
  const delegated = bug === undefined && !adminOk ? await isDelegated(admin) : false;
  for (const name of ['provision_user_1', 'provision_user_2'] as const) {
    if (bug !== undefined || (!adminOk && !delegated)) {
      skip(name, bug !== undefined ? 'not run: an unexpected error stopped verify' : 'not run: the admin token check failed');
      continue;
    }
    await run(name, async () => {
      if (delegated) throw delegatedAuthError(admin, undefined);
      const user = await provisionUser(admin, serverName, options.tokenLifetimeMs ?? 15 * 60_000, createdUsers, secrets);
      if (name === 'provision_user_1') user1 = user;
      else user2 = user;
      return `${user.userId} created without a password, login-as token accepted by whoami, message rate limit lifted`;
    });
  }

  let roomOk = false;
  if (user1 !== undefined && user2 !== undefined && bug === undefined) {
    const [creator, invitee] = [user1, user2];
    roomOk = await run('room', async () => {
      const created = await creator.client.rooms.create({ name: `matrix-reset verify ${randomBytes(3).toString('hex')}`, preset: 'private_chat', visibility: 'private', invite: [invitee.userId] });
      roomId = created.roomId;
      await invitee.client.rooms.join(created.roomId);
      return `${creator.userId} created private room ${created.roomId} and invited ${invitee.userId}, who joined`;
    });
  } else skip('room', 'not run: it needs both throwaway users');

  if (roomOk && user1 !== undefined && user2 !== undefined && roomId !== undefined && bug === undefined) {
    const [sender, reader, room] = [user1, user2, roomId];
    await run('messaging', () => checkMessaging(sender, reader, room, options.messageTimeoutMs ?? 5_000));
  } else skip('messaging', 'not run: it needs the room with both users in it');

  let kept = false;
  if (createdUsers.length === 0 && roomId === undefined) {
    skip('cleanup', 'nothing was created');
  } else if (options.keepArtifacts === true) {
    kept = true;
    skip('cleanup', `kept on request: ${describeArtifacts(createdUsers, roomId)}; remove them with DELETE /_synapse/admin/v2/rooms/<room> {"purge": true} and POST /_synapse/admin/v1/deactivate/<user> {"erase": true}`);
  } else {
    await run('cleanup', () => cleanUp(admin, createdUsers, roomId, options.roomDeleteTimeoutMs ?? 60_000));
  }
  if (bug !== undefined) throw bug;

  return Object.freeze({
    environment: connection.environment.name,
    ok: checks.every((check) => check.status !== 'failed'),
    checks: Object.freeze(checks),
    artifacts: Object.freeze({ userIds: Object.freeze([...createdUsers]), roomId, kept }),
    durationMs: Math.round(performance.now() - started),
  });
}

async function checkAdminToken(admin: SynapseClient): Promise<string> {
  if (!admin.hasAccessToken) {
    throw new CheckFailure('admin_token_missing', 'No admin token: none of the configured adminToken references holds one', [
      'Store a working admin token where adminToken[0].token points (`matrix-reset local bootstrap` does it for a local Synapse).',
    ]);
  }
  const me = await admin.whoami();
  const user = await admin.admin.getUser(me.userId);
  if (user === undefined || !user.admin) {
    throw new CheckFailure('not_admin', `The admin token belongs to ${me.userId}, which is not a server admin`, [
      `Make ${me.userId} an admin (PUT /_synapse/admin/v2/users/${me.userId} {"admin": true} with another admin's token), or store an admin's token instead.`,
    ]);
  }
  return `${me.userId} is a server admin`;
}

async function isDelegated(admin: SynapseClient): Promise<boolean> {
  try {
    return (await admin.detectAuthMode()).mode === 'delegated';
  } catch (error) {
    if (isSynapseClientError(error)) return false;
    throw error;
  }
}

/** As `ensureCredentials` provisions a user it must create: admin PUT v2 without password, then login-as. */
async function provisionUser(admin: SynapseClient, serverName: string, tokenLifetimeMs: number, created: string[], secrets: string[]): Promise<ThrowawayUser> {
  const { mode, evidence } = await admin.detectAuthMode();
  if (mode === 'delegated') throw new AuthModeUnsupportedError({ capability: 'shared_secret_registration', evidence });
  const userId = `@${VERIFY_USER_PREFIX}${randomBytes(5).toString('hex')}:${serverName}`;
  if ((await admin.admin.getUser(userId)) !== undefined) {
    throw new CheckFailure('user_exists', `${userId} already exists: verify does not touch users it did not create`, ['Run verify again (it picks a new random name).']);
  }
  // From here on cleanup owns the user, even if the PUT's answer is lost.
  created.push(userId);
  await admin.admin.upsertUser(userId, {});
  await admin.admin.overrideRateLimit(userId);
  const { accessToken } = await admin.admin.loginAsUser(userId, { validUntilMs: Date.now() + tokenLifetimeMs });
  secrets.push(accessToken);
  const client = admin.withAccessToken(accessToken);
  const me = await client.whoami();
  if (me.userId !== userId) throw new CheckFailure('wrong_user', `The login-as token minted for ${userId} belongs to ${me.userId}`, ['Report this: Synapse answered login-as for another user.']);
  return { userId, accessToken, client };
}

async function checkMessaging(sender: ThrowawayUser, reader: ThrowawayUser, roomId: string, timeoutMs: number): Promise<string> {
  const nonce = randomUUID();
  const text = `matrix-reset verify ${nonce}`;
  const { eventId } = await sender.client.rooms.sendText(roomId, text, { txnId: `mr-verify-${nonce}` });
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  for (;;) {
    const events = await reader.client.rooms.recentMessages(roomId, { limit: 20 });
    seen = events.length;
    const match = events.find((event) => event.type === 'm.room.message' && event.sender === sender.userId && event.content['body'] === text);
    if (match !== undefined) return `${sender.userId} sent nonce ${nonce} (${eventId}); ${reader.userId} read it back`;
    if (Date.now() >= deadline) break;
    await sleep(200);
  }
  throw new CheckFailure('message_not_seen', `${sender.userId} sent nonce ${nonce} (${eventId}), but ${reader.userId} did not see it in the room's ${seen} most recent events within ${timeoutMs} ms`, [
    'Check the Synapse logs for event persistence or federation-sender errors; with workers, check that the event stream writer is running.',
  ]);
}

async function cleanUp(admin: SynapseClient, userIds: readonly string[], roomId: string | undefined, timeoutMs: number): Promise<string> {
  const done: string[] = [];
  const problems: string[] = [];
  if (roomId !== undefined) {
    try {
      const { deleteId } = await admin.admin.deleteRoom(roomId, { purge: true, block: false, forcePurge: true });
      await admin.admin.waitForRoomDeletion(deleteId, { timeoutMs });
      done.push(`room ${roomId} deleted and purged`);
    } catch (error) {
      if (!isSynapseClientError(error)) throw error;
      problems.push(`room ${roomId}: ${error.code}: ${error.message}`);
    }
  }
  for (const userId of userIds) {
    try {
      if ((await admin.admin.getUser(userId)) === undefined) continue;
      await admin.admin.deactivateUser(userId, { erase: true });
      done.push(`${userId} deactivated and erased`);
    } catch (error) {
      if (!isSynapseClientError(error)) throw error;
      problems.push(`${userId}: ${error.code}: ${error.message}`);
    }
  }
  if (problems.length > 0) {
    throw new CheckFailure('cleanup_incomplete', `Could not remove everything verify created: ${problems.join('; ')}${done.length > 0 ? ` (done: ${done.join(', ')})` : ''}`, [
      'Remove what is left by hand: DELETE /_synapse/admin/v2/rooms/<room> {"purge": true}, POST /_synapse/admin/v1/deactivate/<user> {"erase": true}.',
    ]);
  }
  return done.join(', ');
}

function describeArtifacts(userIds: readonly string[], roomId: string | undefined): string {
  return [...(roomId === undefined ? [] : [`room ${roomId}`]), ...(userIds.length === 0 ? [] : [`users ${userIds.join(', ')}`])].join(', ');
}

function delegatedAuthError(admin: SynapseClient, cause: unknown): ResetError {
  return new ResetError('delegated_auth', `${admin.baseUrl} delegates authentication to the Matrix Authentication Service: users cannot be provisioned the way the app does it (admin API + login-as)`, {
    nextSteps: [
      'Provision users through the Matrix Authentication Service instead: `mas-cli manage register-user <username>`, then `mas-cli manage issue-compatibility-token <username>`.',
      'Verify messaging with such a user by hand; matrix-reset does not create users on a server whose auth service would not know them.',
    ],
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The expected failure in `error` as a check reports it, or undefined for a bug. */
function asFailure(error: unknown, connection: VerifyConnection): { code: VerifyFailureCode; message: string; nextSteps: readonly string[] } | undefined {
  if (error instanceof CheckFailure) return error;
  if (error instanceof AuthModeUnsupportedError) return delegatedAuthError(connection.synapse, error);
  if (isResetError(error)) return error;
  if (isSynapseClientError(error)) {
    const extra =
      (error.code === 'unknown_token' || error.code === 'token_soft_logout' || error.code === 'not_admin') && connection.adminTokenSource !== undefined
        ? [`The admin token was read from ${connection.adminTokenSource}: store a working admin's token there (\`matrix-reset local bootstrap\` for a local Synapse).`]
        : [];
    return { code: error.code, message: error.message, nextSteps: [...error.nextSteps, ...extra] };
  }
  return undefined;
}

function scrub(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}

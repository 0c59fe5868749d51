import type { Dispatcher } from 'undici';
import { SynapseAccountValidityAdminApi } from './admin-account-validity-api.ts';
import { SynapseBackgroundUpdatesAdminApi } from './admin-background-updates-api.ts';
import { SynapseClientConfigAdminApi } from './admin-client-config-api.ts';
import { SynapseEventsAdminApi } from './admin-events-api.ts';
import { SynapseExperimentalFeaturesAdminApi } from './admin-experimental-features-api.ts';
import { SynapseFederationAdminApi } from './admin-federation-api.ts';
import { SynapseScheduledTasksAdminApi } from './admin-scheduled-tasks-api.ts';
import { createDevice, deleteDevice, deleteDevices, getDevice, listDevices, updateDevice, type Device } from './admin-devices.ts';
import { SynapseEventReportsAdminApi } from './admin-event-reports-api.ts';
import { purgeHistory, purgeHistoryStatus, purgeHistoryTask, type PurgeHistoryOptions, type PurgeHistoryStatus } from './admin-purge-history.ts';
import { SynapseMediaAdminApi } from './admin-media-api.ts';
import { SynapseRegistrationTokensAdminApi } from './admin-registration-tokens-api.ts';
import { SynapseServerNoticesAdminApi } from './admin-server-notices-api.ts';
import { SynapseStatisticsAdminApi } from './admin-statistics-api.ts';
import {
  deleteForwardExtremities,
  deleteRoom,
  deleteRoomV1,
  getEventContext,
  getForwardExtremities,
  getRoom,
  getRoomBlockStatus,
  getRoomMembers,
  getRoomState,
  joinUserToRoom,
  listRoomHierarchy,
  listRoomHierarchyPage,
  listRoomMessages,
  listRoomMessagesPage,
  listRooms,
  listRoomsPage,
  makeRoomAdmin,
  roomDeleteStatus,
  roomDeleteStatuses,
  setRoomBlocked,
  timestampToEvent,
  waitForRoomDeletion,
  type AdminRoomEvent,
  type DeleteRoomOptions,
  type EventContext,
  type ForwardExtremity,
  type HierarchyRoom,
  type ListedRoom,
  type ListRoomsOptions,
  type RoomBlockStatus,
  type RoomDeleteStatus,
  type RoomDetails,
  type RoomHierarchyOptions,
  type RoomHierarchyPage,
  type RoomMessagesOptions,
  type RoomMessagesPage,
  type RoomShutdownResult,
  type RoomsPage,
  type WaitForRoomDeletionOptions,
} from './admin-rooms.ts';
import {
  allowCrossSigningReplacementWithoutUia,
  createUser,
  cumulativeJoinedRoomCount,
  deactivateUser,
  deleteRateLimitOverride,
  deleteUserMedia,
  findUserByExternalId,
  findUserByThreepid,
  getAccountData,
  getMemberships,
  getRateLimitOverride,
  getUser,
  getUserAdmin,
  isUsernameAvailable,
  listJoinedRooms,
  listPushers,
  listUserMedia,
  listUserMediaPage,
  listUsers,
  listUsersPage,
  loginAsUser,
  overrideRateLimit,
  redactUserEvents,
  resetPassword,
  sentInviteCount,
  serverVersion,
  setUserAdmin,
  setUserSuspended,
  shadowBanUser,
  unshadowBanUser,
  upsertUser,
  userRedactionStatus,
  userRedactionTask,
  whois,
  type AccountData,
  type AdminUser,
  type DeleteUserMediaOptions,
  type ListedUser,
  type ListUserMediaOptions,
  type ListUsersOptions,
  type LoginAsOptions,
  type Page,
  type Pusher,
  type RateLimitOverride,
  type RedactUserEventsOptions,
  type ResetPasswordOptions,
  type UserFields,
  type UserMedia,
  type UsernameAvailability,
  type UserRedactionStatus,
  type Whois,
} from './admin-users.ts';
import type { BackgroundTask } from './background-task.ts';
import type { AuthMode, AuthModeReport } from './auth-mode-report.ts';
import { cachedAuthMode } from './auth-mode.ts';
import type { ClientContext } from './client-context.ts';
import { SynapseMediaApi } from './client-media-api.ts';
import { createRoom, joinRoom, recentMessages, sendText, type CreateRoomOptions, type RoomEvent, type SendTextOptions } from './client-rooms.ts';
import { logout } from './logout.ts';
import { loginWithPassword, type PasswordLoginOptions, type Session } from './password-login.ts';
import type { SynapseLogger } from './request-log-event.ts';
import type { RetryOptions } from './retry-policy.ts';
import {
  registerWithSharedSecret,
  type RegisterWithSharedSecretOptions,
  type RegisterWithSharedSecretResult,
} from './shared-secret-registration.ts';
import { SynapseTransport } from './synapse-transport.ts';
import { whoami, type Whoami } from './whoami.ts';

export interface SynapseClientOptions {
  /** Synapse's client listener, e.g. `http://127.0.0.1:8008` or `https://matrix.example.org`. */
  baseUrl: string;
  /** Connection pool; default undici's global dispatcher (a keep-alive Agent). Inject a `MockAgent` in tests. */
  dispatcher?: Dispatcher;
  /** Sent as `Authorization: Bearer` on every call that needs one. */
  accessToken?: string;
  /** Receives one event per HTTP attempt; never secrets. */
  logger?: SynapseLogger;
  retry?: RetryOptions;
  /** Per-attempt headers/body timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** The homeserver's `server_name`, used to build user ids (otherwise found out when needed). */
  serverName?: string;
  /** Declare the auth mode to refuse native-only calls up front; by default it is detected when a route is missing. */
  authMode?: AuthMode;
}

/**
 * Creates a {@link SynapseClient}. Clients are immutable; {@link SynapseClient.withAccessToken} derives one that
 * shares the same connection pool, logger and retry policy.
 *
 * @example
 * ```ts
 * import { createSynapseClient } from '@matrix-reset/synapse-admin';
 *
 * const admin = createSynapseClient({ baseUrl: 'http://127.0.0.1:8008', accessToken: process.env.MATRIX_ADMIN_ACCESS_TOKEN });
 * const { serverVersion } = await admin.admin.serverVersion();
 * ```
 */
export function createSynapseClient(options: SynapseClientOptions): SynapseClient {
  const transport = new SynapseTransport({
    baseUrl: options.baseUrl,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return new SynapseClient(
    Object.freeze({
      transport,
      accessToken: options.accessToken,
      serverName: options.serverName,
      authMode: options.authMode,
      authModeCache: {},
    }),
  );
}

/**
 * Client-server calls: registration, login, whoami, logout and auth-mode detection, plus the `admin` and `rooms`
 * groups. Build it with {@link createSynapseClient}.
 *
 * @example
 * ```ts
 * const client = createSynapseClient({ baseUrl: 'http://127.0.0.1:8008' });
 * const sharedSecret = process.env.SYNAPSE_REGISTRATION_SHARED_SECRET ?? '';
 * const { accessToken } = await client.registerWithSharedSecret({ sharedSecret, username: 'bot', password: 's3cret' });
 * const me = await client.withAccessToken(accessToken!).whoami();
 * ```
 */
export class SynapseClient {
  readonly #context: ClientContext;
  /** Synapse admin API calls (need an admin's token). */
  readonly admin: SynapseAdminApi;
  /** Room calls as the client's user. */
  readonly rooms: SynapseRoomsApi;
  /** Media calls as the client's user (upload). */
  readonly media: SynapseMediaApi;

  /** @internal Use {@link createSynapseClient}. */
  constructor(context: ClientContext) {
    this.#context = context;
    this.admin = new SynapseAdminApi(context);
    this.rooms = new SynapseRoomsApi(context);
    this.media = new SynapseMediaApi(context);
    Object.freeze(this);
  }

  /** Origin and path prefix the client talks to (no credentials). */
  get baseUrl(): string {
    return this.#context.transport.origin + this.#context.transport.basePath;
  }

  /** True when the client carries an access token. */
  get hasAccessToken(): boolean {
    return this.#context.accessToken !== undefined;
  }

  /**
   * A new client with `accessToken`, sharing this one's connection pool, logger, retry policy and auth-mode cache.
   * Cheap enough to call per token in a bulk run.
   *
   * @example
   * ```ts
   * const { accessToken } = await client.loginWithPassword({ user: 'alice', password: 's3cret' });
   * const asAlice = client.withAccessToken(accessToken);
   * ```
   */
  withAccessToken(accessToken: string): SynapseClient {
    return new SynapseClient(Object.freeze({ ...this.#context, accessToken }));
  }

  /**
   * Registers a user with the shared secret (nonce + HMAC-SHA1, a fresh nonce per attempt). With `existsOk`, an
   * existing user is returned instead of `user_in_use`: with a login-as token when this client carries an admin
   * token, else without a token. Native auth only: under delegated auth it throws {@link AuthModeUnsupportedError}.
   *
   * @example
   * ```ts
   * const sharedSecret = process.env.SYNAPSE_REGISTRATION_SHARED_SECRET ?? '';
   * const result = await client.registerWithSharedSecret({ sharedSecret, username: 'alice', password: 's3cret', admin: false });
   * if (result.created) console.log(result.userId, result.deviceId);
   * ```
   */
  registerWithSharedSecret(options: RegisterWithSharedSecretOptions): Promise<RegisterWithSharedSecretResult> {
    return registerWithSharedSecret(this.#context, options);
  }

  /**
   * Password login (`m.login.password`, `m.id.user`). A 429 is not retried unless `retryOnRateLimit`; Synapse
   * allows about 5 logins per IP, then one per 333 s: prefer login-as for bulk token minting.
   *
   * @example
   * ```ts
   * const { accessToken, deviceId } = await client.loginWithPassword({ user: 'alice', password: 's3cret' });
   * ```
   */
  loginWithPassword(options: PasswordLoginOptions): Promise<Session> {
    return loginWithPassword(this.#context, options);
  }

  /**
   * Who the client's token belongs to. The bulk-validation hot path: one GET, body parsed once.
   *
   * @example
   * ```ts
   * const { accessToken } = await client.admin.loginAsUser('@alice:example.org');
   * const { userId, deviceId } = await client.withAccessToken(accessToken).whoami();
   * ```
   */
  whoami(): Promise<Whoami> {
    return whoami(this.#context);
  }

  /**
   * Invalidates the client's token (and deletes its device).
   *
   * @example
   * ```ts
   * const { accessToken } = await client.admin.loginAsUser('@alice:example.org');
   * await client.withAccessToken(accessToken).logout();
   * ```
   */
  logout(): Promise<void> {
    return logout(this.#context);
  }

  /**
   * Detects whether the server authenticates natively or delegates to the Matrix Authentication Service, with the
   * evidence of each probe. Cached per `createSynapseClient`.
   *
   * @example
   * ```ts
   * const { mode, evidence } = await client.detectAuthMode();
   * ```
   */
  detectAuthMode(): Promise<AuthModeReport> {
    return cachedAuthMode(this.#context);
  }
}

/**
 * The Synapse admin API. Reached as `client.admin`.
 *
 * @example
 * ```ts
 * for await (const user of client.admin.listUsers({ limit: 100 })) console.log(user.userId);
 * ```
 */
export class SynapseAdminApi {
  readonly #context: ClientContext;
  /** Remote servers: destinations, their retry timings and shared rooms. */
  readonly federation: SynapseFederationAdminApi;
  /** The database's background updates. */
  readonly backgroundUpdates: SynapseBackgroundUpdatesAdminApi;
  /** Per-user experimental features. */
  readonly experimentalFeatures: SynapseExperimentalFeaturesAdminApi;
  /** The task scheduler's tasks. */
  readonly scheduledTasks: SynapseScheduledTasksAdminApi;
  /** Account validity (expiring accounts). */
  readonly accountValidity: SynapseAccountValidityAdminApi;
  /** Events by id. */
  readonly events: SynapseEventsAdminApi;
  /** What the client-server API shows this admin (account data on the admin's own account). */
  readonly clientConfig: SynapseClientConfigAdminApi;
  /** Event reports: `client.admin.eventReports.list()`, `.get(id)`, `.delete(id)`. */
  readonly eventReports: SynapseEventReportsAdminApi;
  /** Media: details, quarantine, protection, deletion, the remote media cache. */
  readonly media: SynapseMediaAdminApi;
  /** Registration tokens (native auth only). */
  readonly registrationTokens: SynapseRegistrationTokensAdminApi;
  /** Server notices to local users. */
  readonly serverNotices: SynapseServerNoticesAdminApi;
  /** Statistics: media usage per user, database size per room. */
  readonly statistics: SynapseStatisticsAdminApi;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    this.federation = new SynapseFederationAdminApi(context);
    this.backgroundUpdates = new SynapseBackgroundUpdatesAdminApi(context);
    this.experimentalFeatures = new SynapseExperimentalFeaturesAdminApi(context);
    this.scheduledTasks = new SynapseScheduledTasksAdminApi(context);
    this.accountValidity = new SynapseAccountValidityAdminApi(context);
    this.events = new SynapseEventsAdminApi(context);
    this.clientConfig = new SynapseClientConfigAdminApi(context);
    this.eventReports = new SynapseEventReportsAdminApi(context);
    this.media = new SynapseMediaAdminApi(context);
    this.registrationTokens = new SynapseRegistrationTokensAdminApi(context);
    this.serverNotices = new SynapseServerNoticesAdminApi(context);
    this.statistics = new SynapseStatisticsAdminApi(context);
    Object.freeze(this);
  }

  /**
   * `GET /_synapse/admin/v1/server_version`.
   *
   * @example
   * ```ts
   * const { serverVersion } = await client.admin.serverVersion();
   * ```
   */
  serverVersion(): Promise<{ serverVersion: string }> {
    return serverVersion(this.#context);
  }

  /**
   * The user, or `undefined` if the server does not know it.
   *
   * @example
   * ```ts
   * const user = await client.admin.getUser('@alice:example.org');
   * if (user?.deactivated) console.log('gone');
   * ```
   */
  getUser(userId: string): Promise<AdminUser | undefined> {
    return getUser(this.#context, userId);
  }

  /**
   * Creates a user that must not exist: GET first, then PUT; `user_exists` error when it already does.
   *
   * @example
   * ```ts
   * await client.admin.createUser('@bot:example.org', { password: 's3cret', displayName: 'Bot' });
   * ```
   */
  createUser(userId: string, fields: UserFields): Promise<AdminUser> {
    return createUser(this.#context, userId, fields);
  }

  /**
   * Creates or modifies a user (`PUT /_synapse/admin/v2/users/<id>`); `created` tells which. Under delegated auth
   * this creates a user the auth service does not know: do not provision that way.
   *
   * @example
   * ```ts
   * const { created } = await client.admin.upsertUser('@bot:example.org', { admin: false, password: 's3cret' });
   * ```
   */
  upsertUser(userId: string, fields: UserFields): Promise<{ created: boolean; user: AdminUser }> {
    return upsertUser(this.#context, userId, fields);
  }

  /**
   * Every user (guests excluded unless asked), following `next_token` page by page.
   *
   * @example
   * ```ts
   * for await (const user of client.admin.listUsers({ limit: 500, deactivated: false })) console.log(user.userId);
   * ```
   */
  listUsers(options: ListUsersOptions = {}): AsyncGenerator<ListedUser, void, undefined> {
    return listUsers(this.#context, options);
  }

  /**
   * A token for the user without their password: no device, not rate limited, owned by this admin as a puppet.
   * Native auth only (under delegated auth: `mas-cli manage issue-compatibility-token`).
   *
   * @example
   * ```ts
   * const { accessToken } = await client.admin.loginAsUser('@bot:example.org', { validUntilMs: Date.now() + 3_600_000 });
   * ```
   */
  loginAsUser(userId: string, options: LoginAsOptions = {}): Promise<{ accessToken: string }> {
    return loginAsUser(this.#context, userId, options);
  }

  /**
   * Deactivates the user (revokes every token and device); `erase` also erases the profile.
   *
   * @example
   * ```ts
   * await client.admin.deactivateUser('@old:example.org', { erase: false });
   * ```
   */
  deactivateUser(userId: string, options: { erase?: boolean } = {}): Promise<void> {
    return deactivateUser(this.#context, userId, options);
  }

  /**
   * Sets a new password; logs out every device unless `logoutDevices: false`. Native auth only.
   *
   * @example
   * ```ts
   * await client.admin.resetPassword('@bot:example.org', { newPassword: 'n3w', logoutDevices: true });
   * ```
   */
  resetPassword(userId: string, options: ResetPasswordOptions): Promise<void> {
    return resetPassword(this.#context, userId, options);
  }

  /**
   * The user's devices (login-as tokens have none).
   *
   * @example
   * ```ts
   * const devices = await client.admin.listDevices('@bot:example.org');
   * ```
   */
  listDevices(userId: string): Promise<Device[]> {
    return listDevices(this.#context, userId);
  }

  /**
   * Deletes devices, revoking their tokens.
   *
   * @example
   * ```ts
   * await client.admin.deleteDevices('@bot:example.org', ['ABCDEF']);
   * ```
   */
  deleteDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
    return deleteDevices(this.#context, userId, deviceIds);
  }

  /**
   * Lifts (default) or sets the user's message rate limit. Does not affect login or registration limits.
   *
   * @example
   * ```ts
   * await client.admin.overrideRateLimit('@bot:example.org');
   * ```
   */
  overrideRateLimit(userId: string, override: RateLimitOverride = {}): Promise<{ messagesPerSecond: number; burstCount: number }> {
    return overrideRateLimit(this.#context, userId, override);
  }

  /**
   * Whether a localpart can be registered; a taken, invalid or appservice-owned name gives `available: false` and a reason.
   *
   * @example
   * ```ts
   * const answer = await client.admin.isUsernameAvailable('alice');
   * if (!answer.available) console.log(answer.reason);
   * ```
   */
  isUsernameAvailable(username: string): Promise<UsernameAvailability> {
    return isUsernameAvailable(this.#context, username);
  }

  /**
   * One page of users, for callers that resume: pass the previous page's `nextToken` as `from`.
   *
   * @example
   * ```ts
   * const first = await client.admin.listUsersPage({ limit: 100 });
   * if (first.nextToken !== undefined) await client.admin.listUsersPage({ limit: 100, from: first.nextToken });
   * ```
   */
  listUsersPage(options: ListUsersOptions & { from?: string } = {}): Promise<Page<ListedUser>> {
    return listUsersPage(this.#context, options);
  }

  /**
   * The user's devices and, per device, the IPs and user agents it was last seen with (local users only).
   *
   * @example
   * ```ts
   * const { devices } = await client.admin.whois('@bot:example.org');
   * for (const [deviceId, device] of Object.entries(devices)) console.log(deviceId, device.sessions.length);
   * ```
   */
  whois(userId: string): Promise<Whois> {
    return whois(this.#context, userId);
  }

  /**
   * The rooms the user is joined to.
   *
   * @example
   * ```ts
   * const { roomIds } = await client.admin.listJoinedRooms('@bot:example.org');
   * ```
   */
  listJoinedRooms(userId: string): Promise<{ roomIds: string[]; total: number; other: Readonly<Record<string, unknown>> }> {
    return listJoinedRooms(this.#context, userId);
  }

  /**
   * Every room the server knows a membership of the user in, room id -> `join` / `leave` / `invite` / `ban` / `knock`.
   *
   * @example
   * ```ts
   * const { memberships } = await client.admin.getMemberships('@bot:example.org');
   * const invitedTo = Object.keys(memberships).filter((roomId) => memberships[roomId] === 'invite');
   * ```
   */
  getMemberships(userId: string): Promise<{ memberships: Record<string, string>; other: Readonly<Record<string, unknown>> }> {
    return getMemberships(this.#context, userId);
  }

  /**
   * The user's account data, global and per room.
   *
   * @example
   * ```ts
   * const { global } = await client.admin.getAccountData('@bot:example.org');
   * const ignored = global['m.ignored_user_list'];
   * ```
   */
  getAccountData(userId: string): Promise<AccountData> {
    return getAccountData(this.#context, userId);
  }

  /**
   * The user's pushers.
   *
   * @example
   * ```ts
   * const pushers = await client.admin.listPushers('@bot:example.org');
   * ```
   */
  listPushers(userId: string): Promise<Pusher[]> {
    return listPushers(this.#context, userId);
  }

  /**
   * Every local medium the user uploaded, newest first unless ordered otherwise.
   *
   * @example
   * ```ts
   * for await (const media of client.admin.listUserMedia('@bot:example.org', { orderBy: 'media_length', dir: 'b' })) console.log(media.mediaId);
   * ```
   */
  listUserMedia(userId: string, options: ListUserMediaOptions = {}): AsyncGenerator<UserMedia, void, undefined> {
    return listUserMedia(this.#context, userId, options);
  }

  /**
   * One page of the user's media; pass the previous page's `nextToken` as `from`.
   *
   * @example
   * ```ts
   * const { items, nextToken, total } = await client.admin.listUserMediaPage('@bot:example.org', { limit: 50 });
   * ```
   */
  listUserMediaPage(userId: string, options: ListUserMediaOptions & { from?: string } = {}): Promise<Page<UserMedia>> {
    return listUserMediaPage(this.#context, userId, options);
  }

  /**
   * Deletes up to `limit` (default 100) of the user's local media, in the given order; call again until `total` is 0.
   * Never resent on its own.
   *
   * @example
   * ```ts
   * let deleted;
   * do deleted = await client.admin.deleteUserMedia('@spam:example.org', { limit: 100 });
   * while (deleted.total > 0);
   * ```
   */
  deleteUserMedia(userId: string, options: DeleteUserMediaOptions = {}): Promise<{ deletedMediaIds: string[]; total: number; other: Readonly<Record<string, unknown>> }> {
    return deleteUserMedia(this.#context, userId, options);
  }

  /**
   * Shadow-bans a local user: their requests succeed but their events reach nobody.
   *
   * @example
   * ```ts
   * await client.admin.shadowBanUser('@spam:example.org');
   * ```
   */
  shadowBanUser(userId: string): Promise<void> {
    return shadowBanUser(this.#context, userId);
  }

  /**
   * Lifts a shadow-ban.
   *
   * @example
   * ```ts
   * await client.admin.unshadowBanUser('@spam:example.org');
   * ```
   */
  unshadowBanUser(userId: string): Promise<void> {
    return unshadowBanUser(this.#context, userId);
  }

  /**
   * The user's message rate-limit override, or `undefined` when the server's limits apply.
   *
   * @example
   * ```ts
   * const override = await client.admin.getRateLimitOverride('@bot:example.org');
   * if (override === undefined) await client.admin.overrideRateLimit('@bot:example.org');
   * ```
   */
  getRateLimitOverride(userId: string): Promise<{ messagesPerSecond: number; burstCount: number } | undefined> {
    return getRateLimitOverride(this.#context, userId);
  }

  /**
   * Removes the user's rate-limit override.
   *
   * @example
   * ```ts
   * await client.admin.deleteRateLimitOverride('@bot:example.org');
   * ```
   */
  deleteRateLimitOverride(userId: string): Promise<void> {
    return deleteRateLimitOverride(this.#context, userId);
  }

  /**
   * Whether the user is a server admin. Native auth only (`getUser(userId).admin` works under both).
   *
   * @example
   * ```ts
   * const isAdmin = await client.admin.getUserAdmin('@ops:example.org');
   * ```
   */
  getUserAdmin(userId: string): Promise<boolean> {
    return getUserAdmin(this.#context, userId);
  }

  /**
   * Grants or revokes server admin (not on oneself). Native auth only.
   *
   * @example
   * ```ts
   * await client.admin.setUserAdmin('@ops:example.org', true);
   * ```
   */
  setUserAdmin(userId: string, admin: boolean): Promise<void> {
    return setUserAdmin(this.#context, userId, admin);
  }

  /**
   * Suspends (`true`) or unsuspends a local user: a suspended user can read but not send, join, invite or change their profile.
   *
   * @example
   * ```ts
   * await client.admin.setUserSuspended('@spam:example.org', true);
   * ```
   */
  setUserSuspended(userId: string, suspended: boolean): Promise<void> {
    return setUserSuspended(this.#context, userId, suspended);
  }

  /**
   * Starts redacting the user's events (in every room they are in, unless `rooms` says which) and returns the task.
   *
   * @example
   * ```ts
   * const task = await client.admin.redactUserEvents('@spam:example.org', { reason: 'spam' });
   * const { failedRedactions } = await task.wait({ timeoutMs: 120_000 });
   * ```
   */
  redactUserEvents(userId: string, options: RedactUserEventsOptions = {}): Promise<BackgroundTask<UserRedactionStatus>> {
    return redactUserEvents(this.#context, userId, options);
  }

  /**
   * The current status of a user redaction.
   *
   * @example
   * ```ts
   * const task = await client.admin.redactUserEvents('@spam:example.org');
   * const { status } = await client.admin.userRedactionStatus(task.id);
   * ```
   */
  userRedactionStatus(redactId: string): Promise<UserRedactionStatus> {
    return userRedactionStatus(this.#context, redactId);
  }

  /**
   * The handle of a redaction started earlier, from its id (no request until `status()` or `wait()`).
   *
   * @example
   * ```ts
   * const savedRedactId = (await client.admin.redactUserEvents('@spam:example.org')).id;
   * await client.admin.userRedactionTask(savedRedactId).wait();
   * ```
   */
  userRedactionTask(redactId: string): BackgroundTask<UserRedactionStatus> {
    return userRedactionTask(this.#context, redactId);
  }

  /**
   * The user with that third-party id (`email` or `msisdn`), or `undefined`.
   *
   * @example
   * ```ts
   * const userId = await client.admin.findUserByThreepid('email', 'alice@example.org');
   * ```
   */
  findUserByThreepid(medium: string, address: string): Promise<string | undefined> {
    return findUserByThreepid(this.#context, medium, address);
  }

  /**
   * The user an identity of an SSO provider maps to (`external_id` is e.g. the OIDC `sub`), or `undefined`.
   *
   * @example
   * ```ts
   * const userId = await client.admin.findUserByExternalId('oidc-keycloak', 'a1b2c3');
   * ```
   */
  findUserByExternalId(authProvider: string, externalId: string): Promise<string | undefined> {
    return findUserByExternalId(this.#context, authProvider, externalId);
  }

  /**
   * How many invites the user sent since `sinceMs`.
   *
   * @example
   * ```ts
   * const invites = await client.admin.sentInviteCount('@bot:example.org', { sinceMs: Date.now() - 86_400_000 });
   * ```
   */
  sentInviteCount(userId: string, options: { sinceMs: number }): Promise<number> {
    return sentInviteCount(this.#context, userId, options);
  }

  /**
   * How many rooms the user joined since `sinceMs`, counting rooms they left since.
   *
   * @example
   * ```ts
   * const joined = await client.admin.cumulativeJoinedRoomCount('@bot:example.org', { sinceMs: Date.now() - 86_400_000 });
   * ```
   */
  cumulativeJoinedRoomCount(userId: string, options: { sinceMs: number }): Promise<number> {
    return cumulativeJoinedRoomCount(this.#context, userId, options);
  }

  /**
   * Lets the user replace their master cross-signing key without interactive auth, until `allowedUntilMs`.
   *
   * @example
   * ```ts
   * const { allowedUntilMs } = await client.admin.allowCrossSigningReplacementWithoutUia('@alice:example.org');
   * ```
   */
  allowCrossSigningReplacementWithoutUia(userId: string): Promise<{ allowedUntilMs: number }> {
    return allowCrossSigningReplacementWithoutUia(this.#context, userId);
  }

  /**
   * One device of the user; `not_found` for an unknown user or device.
   *
   * @example
   * ```ts
   * const { displayName, lastSeenMs } = await client.admin.getDevice('@bot:example.org', 'ABCDEF');
   * ```
   */
  getDevice(userId: string, deviceId: string): Promise<Device> {
    return getDevice(this.#context, userId, deviceId);
  }

  /**
   * Registers a device id for the user (no token comes with it); nothing happens if it exists.
   *
   * @example
   * ```ts
   * await client.admin.createDevice('@bot:example.org', 'RESETBOT');
   * ```
   */
  createDevice(userId: string, deviceId: string): Promise<void> {
    return createDevice(this.#context, userId, deviceId);
  }

  /**
   * Renames a device.
   *
   * @example
   * ```ts
   * await client.admin.updateDevice('@bot:example.org', 'ABCDEF', { displayName: 'reset runner' });
   * ```
   */
  updateDevice(userId: string, deviceId: string, fields: { displayName: string }): Promise<void> {
    return updateDevice(this.#context, userId, deviceId, fields);
  }

  /**
   * Deletes one device, revoking its token.
   *
   * @example
   * ```ts
   * await client.admin.deleteDevice('@bot:example.org', 'ABCDEF');
   * ```
   */
  deleteDevice(userId: string, deviceId: string): Promise<void> {
    return deleteDevice(this.#context, userId, deviceId);
  }

  /**
   * Every room on the server, following `next_batch` page by page.
   *
   * @example
   * ```ts
   * for await (const room of client.admin.listRooms({ searchTerm: 'ops' })) console.log(room.roomId, room.name);
   * ```
   */
  listRooms(options: ListRoomsOptions = {}): AsyncGenerator<ListedRoom, void, undefined> {
    return listRooms(this.#context, options);
  }

  /**
   * Starts deleting a room (v2, in the background) and returns the delete id; see {@link waitForRoomDeletion}.
   *
   * @example
   * ```ts
   * const { deleteId } = await client.admin.deleteRoom('!ops:example.org', { purge: true, block: false });
   * ```
   */
  deleteRoom(roomId: string, options: DeleteRoomOptions = {}): Promise<{ deleteId: string }> {
    return deleteRoom(this.#context, roomId, options);
  }

  /**
   * The current status of a room delete.
   *
   * @example
   * ```ts
   * const { deleteId } = await client.admin.deleteRoom('!ops:example.org');
   * const { status } = await client.admin.roomDeleteStatus(deleteId);
   * ```
   */
  roomDeleteStatus(deleteId: string): Promise<RoomDeleteStatus> {
    return roomDeleteStatus(this.#context, deleteId);
  }

  /**
   * Polls a room delete until complete; throws `room_delete_failed`, or `room_delete_timeout` after `timeoutMs`.
   *
   * @example
   * ```ts
   * const { deleteId } = await client.admin.deleteRoom('!ops:example.org');
   * await client.admin.waitForRoomDeletion(deleteId, { timeoutMs: 30_000 });
   * ```
   */
  waitForRoomDeletion(deleteId: string, options: WaitForRoomDeletionOptions = {}): Promise<RoomDeleteStatus> {
    return waitForRoomDeletion(this.#context, deleteId, options);
  }

  /**
   * Joins a local user to a room the server already participates in (the admin must be able to invite, or the room public).
   *
   * @example
   * ```ts
   * await client.admin.joinUserToRoom('!room:example.org', '@bot:example.org');
   * ```
   */
  joinUserToRoom(roomIdOrAlias: string, userId: string): Promise<{ roomId: string }> {
    return joinUserToRoom(this.#context, roomIdOrAlias, userId);
  }

  /**
   * One page of rooms; pass its `nextToken` as `from` to resume.
   *
   * @example
   * ```ts
   * const { items, nextToken, total } = await client.admin.listRoomsPage({ limit: 100, orderBy: 'joined_members', dir: 'b' });
   * if (nextToken !== undefined) await client.admin.listRoomsPage({ limit: 100, orderBy: 'joined_members', dir: 'b', from: nextToken });
   * ```
   */
  listRoomsPage(options: ListRoomsOptions & { from?: string } = {}): Promise<RoomsPage> {
    return listRoomsPage(this.#context, options);
  }

  /**
   * The room's details (stats, state summary, whether it is tombstoned); `not_found` when the server does not know it.
   *
   * @example
   * ```ts
   * const room = await client.admin.getRoom('!ops:example.org');
   * console.log(room.joinedLocalMembers, room.topic);
   * ```
   */
  getRoom(roomId: string): Promise<RoomDetails> {
    return getRoom(this.#context, roomId);
  }

  /**
   * The user ids joined to the room, local and remote; `not_found` for an unknown room.
   *
   * @example
   * ```ts
   * const { members, total } = await client.admin.getRoomMembers('!ops:example.org');
   * ```
   */
  getRoomMembers(roomId: string): Promise<{ members: string[]; total: number }> {
    return getRoomMembers(this.#context, roomId);
  }

  /**
   * The room's current state events, or those of one `type`; `not_found` for an unknown room.
   *
   * @example
   * ```ts
   * const [powerLevels] = await client.admin.getRoomState('!ops:example.org', { type: 'm.room.power_levels' });
   * ```
   */
  getRoomState(roomId: string, options: { type?: string } = {}): Promise<AdminRoomEvent[]> {
    return getRoomState(this.#context, roomId, options);
  }

  /**
   * Every event of the room, oldest first (or newest first with `dir: 'b'`), whatever the admin's membership.
   *
   * @example
   * ```ts
   * for await (const event of client.admin.listRoomMessages('!ops:example.org', { filter: { types: ['m.room.message'] } })) console.log(event.content);
   * ```
   */
  listRoomMessages(roomId: string, options: RoomMessagesOptions = {}): AsyncGenerator<AdminRoomEvent, void, undefined> {
    return listRoomMessages(this.#context, roomId, options);
  }

  /**
   * One page of the room's events; pass its `nextToken` as `from` to go on.
   *
   * @example
   * ```ts
   * const newest = await client.admin.listRoomMessagesPage('!ops:example.org', { dir: 'b', limit: 20 });
   * if (newest.nextToken !== undefined) await client.admin.listRoomMessagesPage('!ops:example.org', { dir: 'b', limit: 20, from: newest.nextToken });
   * ```
   */
  listRoomMessagesPage(roomId: string, options: RoomMessagesOptions & { from?: string } = {}): Promise<RoomMessagesPage> {
    return listRoomMessagesPage(this.#context, roomId, options);
  }

  /**
   * The event closest to a time: at or after it (`dir: 'f'`, default) or at or before it (`'b'`); `not_found` if none.
   *
   * @example
   * ```ts
   * const { eventId } = await client.admin.timestampToEvent('!ops:example.org', Date.parse('2026-01-01'), { dir: 'f' });
   * ```
   */
  timestampToEvent(roomId: string, tsMs: number, options: { dir?: 'f' | 'b' } = {}): Promise<{ eventId: string; originServerTsMs: number }> {
    return timestampToEvent(this.#context, roomId, tsMs, options);
  }

  /**
   * Whether the room is blocked (for this server's users) and by which admin; known and unknown rooms alike.
   *
   * @example
   * ```ts
   * const { blocked, blockedBy } = await client.admin.getRoomBlockStatus('!ops:example.org');
   * ```
   */
  getRoomBlockStatus(roomId: string): Promise<RoomBlockStatus> {
    return getRoomBlockStatus(this.#context, roomId);
  }

  /**
   * Blocks (`true`) or unblocks a room; a blocked room cannot be joined by this server's users. Works on unknown rooms.
   *
   * @example
   * ```ts
   * await client.admin.setRoomBlocked('!spam:example.org', true);
   * ```
   */
  setRoomBlocked(roomId: string, blocked: boolean): Promise<{ blocked: boolean }> {
    return setRoomBlocked(this.#context, roomId, blocked);
  }

  /**
   * Gives a user (default: the calling admin) the power of the room's most powerful local member, through that
   * member; invites them when the room is not public. `bad_request` when no local member can do it.
   *
   * @example
   * ```ts
   * await client.admin.makeRoomAdmin('#ops:example.org', { userId: '@bot:example.org' });
   * ```
   */
  makeRoomAdmin(roomIdOrAlias: string, options: { userId?: string } = {}): Promise<void> {
    return makeRoomAdmin(this.#context, roomIdOrAlias, options);
  }

  /**
   * The room's forward extremities (many of them slow the room down).
   *
   * @example
   * ```ts
   * const extremities = await client.admin.getForwardExtremities('!ops:example.org');
   * if (extremities.length > 10) await client.admin.deleteForwardExtremities('!ops:example.org');
   * ```
   */
  getForwardExtremities(roomIdOrAlias: string): Promise<ForwardExtremity[]> {
    return getForwardExtremities(this.#context, roomIdOrAlias);
  }

  /**
   * Deletes the forward extremities Synapse can do without (it keeps the latest); returns how many went.
   *
   * @example
   * ```ts
   * const { deleted } = await client.admin.deleteForwardExtremities('!ops:example.org');
   * ```
   */
  deleteForwardExtremities(roomIdOrAlias: string): Promise<{ deleted: number }> {
    return deleteForwardExtremities(this.#context, roomIdOrAlias);
  }

  /**
   * An event with `limit` (default 10) events around it (half before, rounded down, the rest after) and the state
   * then, whatever the admin's membership (for reading a report); `not_found` for an unknown event.
   *
   * @example
   * ```ts
   * const { event, eventsBefore } = await client.admin.getEventContext('!ops:example.org', '$reported', { limit: 5 });
   * ```
   */
  getEventContext(roomId: string, eventId: string, options: { limit?: number; filter?: Readonly<Record<string, unknown>> } = {}): Promise<EventContext> {
    return getEventContext(this.#context, roomId, eventId, options);
  }

  /**
   * The room and, when it is a space, its children depth first, whatever their visibility; rooms this server is
   * not in are left out.
   *
   * @example
   * ```ts
   * for await (const room of client.admin.listRoomHierarchy('!space:example.org', { maxDepth: 2 })) console.log(room.roomId, room.roomType);
   * ```
   */
  listRoomHierarchy(roomId: string, options: RoomHierarchyOptions = {}): AsyncGenerator<HierarchyRoom, void, undefined> {
    return listRoomHierarchy(this.#context, roomId, options);
  }

  /**
   * One page of the hierarchy; pass its `nextToken` as `from` to go on.
   *
   * @example
   * ```ts
   * const { items, nextToken } = await client.admin.listRoomHierarchyPage('!space:example.org', { limit: 50 });
   * ```
   */
  listRoomHierarchyPage(roomId: string, options: RoomHierarchyOptions & { from?: string } = {}): Promise<RoomHierarchyPage> {
    return listRoomHierarchyPage(this.#context, roomId, options);
  }

  /**
   * Synapse's older room delete (v1), finished before it answers, which can take minutes: prefer {@link deleteRoom}.
   *
   * @example
   * ```ts
   * const { kickedUsers } = await client.admin.deleteRoomV1('!ops:example.org', { purge: true });
   * ```
   */
  deleteRoomV1(roomId: string, options: DeleteRoomOptions = {}): Promise<RoomShutdownResult> {
    return deleteRoomV1(this.#context, roomId, options);
  }

  /**
   * Every delete task Synapse still remembers for a room (finished ones are forgotten after a while); `[]` if none.
   *
   * @example
   * ```ts
   * const statuses = await client.admin.roomDeleteStatuses('!ops:example.org');
   * ```
   */
  roomDeleteStatuses(roomId: string): Promise<RoomDeleteStatus[]> {
    return roomDeleteStatuses(this.#context, roomId);
  }

  /**
   * Starts purging a room's history before an event or a time (in the background) and returns its handle:
   * `wait()` resolves when done, or throws `background_task_failed` / `background_task_timeout`.
   *
   * @example
   * ```ts
   * const purge = await client.admin.purgeHistory('!ops:example.org', { upToTsMs: Date.now() - 30 * 86_400_000, deleteLocalEvents: true });
   * await purge.wait({ timeoutMs: 120_000 });
   * ```
   */
  purgeHistory(roomId: string, options: PurgeHistoryOptions): Promise<BackgroundTask<PurgeHistoryStatus>> {
    return purgeHistory(this.#context, roomId, options);
  }

  /**
   * The current status of a purge (`active`, `complete` or `failed`); `not_found` for an unknown purge id.
   *
   * @example
   * ```ts
   * const purge = await client.admin.purgeHistory('!ops:example.org', { upToEventId: '$last-to-keep' });
   * const { status } = await client.admin.purgeHistoryStatus(purge.id);
   * ```
   */
  purgeHistoryStatus(purgeId: string): Promise<PurgeHistoryStatus> {
    return purgeHistoryStatus(this.#context, purgeId);
  }

  /**
   * The handle of a purge started earlier (e.g. by another process), from its id; no request until used.
   *
   * @example
   * ```ts
   * await client.admin.purgeHistoryTask('abcdefgh').wait({ timeoutMs: 60_000 });
   * ```
   */
  purgeHistoryTask(purgeId: string): BackgroundTask<PurgeHistoryStatus> {
    return purgeHistoryTask(this.#context, purgeId);
  }
}

/**
 * Room calls as the client's own user. Reached as `client.rooms`.
 *
 * @example
 * ```ts
 * const { roomId } = await client.rooms.create({ name: 'ops' });
 * await client.rooms.sendText(roomId, 'hello');
 * ```
 */
export class SynapseRoomsApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Creates a room.
   *
   * @example
   * ```ts
   * const { roomId } = await client.rooms.create({ name: 'ops', preset: 'private_chat' });
   * ```
   */
  create(options: CreateRoomOptions = {}): Promise<{ roomId: string }> {
    return createRoom(this.#context, options);
  }

  /**
   * Joins a room as this client's user, e.g. to accept an invite (the admin join cannot enter a private room the
   * admin is not in).
   *
   * @example
   * ```ts
   * const { accessToken } = await client.admin.loginAsUser('@bob:example.org');
   * await client.withAccessToken(accessToken).rooms.join('!ops:example.org');
   * ```
   */
  join(roomIdOrAlias: string): Promise<{ roomId: string }> {
    return joinRoom(this.#context, roomIdOrAlias);
  }

  /**
   * Sends a text message under a transaction id (yours, or a generated UUID), so retries never duplicate it.
   *
   * @example
   * ```ts
   * const { eventId, txnId } = await client.rooms.sendText('!ops:example.org', 'hello', { txnId: 'reset-42' });
   * ```
   */
  sendText(roomId: string, text: string, options: SendTextOptions = {}): Promise<{ eventId: string; txnId: string }> {
    return sendText(this.#context, roomId, text, options);
  }

  /**
   * The most recent events of a room, newest first (`/messages?dir=b`).
   *
   * @example
   * ```ts
   * const events = await client.rooms.recentMessages('!ops:example.org', { limit: 10 });
   * ```
   */
  recentMessages(roomId: string, options: { limit?: number } = {}): Promise<RoomEvent[]> {
    return recentMessages(this.#context, roomId, options);
  }
}

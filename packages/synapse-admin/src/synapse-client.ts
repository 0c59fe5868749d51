import type { Dispatcher } from 'undici';
import { deleteDevices, listDevices, type Device } from './admin-devices.ts';
import { SynapseMediaAdminApi } from './admin-media-api.ts';
import { SynapseRegistrationTokensAdminApi } from './admin-registration-tokens-api.ts';
import { SynapseServerNoticesAdminApi } from './admin-server-notices-api.ts';
import { SynapseStatisticsAdminApi } from './admin-statistics-api.ts';
import {
  deleteRoom,
  joinUserToRoom,
  listRooms,
  roomDeleteStatus,
  waitForRoomDeletion,
  type DeleteRoomOptions,
  type ListedRoom,
  type ListRoomsOptions,
  type RoomDeleteStatus,
  type WaitForRoomDeletionOptions,
} from './admin-rooms.ts';
import {
  createUser,
  deactivateUser,
  getUser,
  isUsernameAvailable,
  listUsers,
  loginAsUser,
  overrideRateLimit,
  resetPassword,
  serverVersion,
  upsertUser,
  type AdminUser,
  type ListedUser,
  type ListUsersOptions,
  type LoginAsOptions,
  type RateLimitOverride,
  type ResetPasswordOptions,
  type UserFields,
  type UsernameAvailability,
} from './admin-users.ts';
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

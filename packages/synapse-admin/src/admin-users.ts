import { z } from 'zod';
import { requireNativeAuth } from './auth-mode.ts';
import { backgroundTask, type BackgroundTask } from './background-task.ts';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import {
  accessTokenSchema,
  adminUserSchema,
  emptySchema,
  flag,
  nullableString,
  rateLimitSchema,
  serverVersionSchema,
  userPageSchema,
  usernameAvailableSchema,
} from './schemas.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { unknownFields } from './unknown-fields.ts';

export type AdminUser = z.infer<typeof adminUserSchema>;
export type ListedUser = z.infer<typeof userPageSchema>['users'][number];

/** `GET /_synapse/admin/v1/server_version` (no auth needed). */
export function serverVersion(context: ClientContext): Promise<{ serverVersion: string }> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/server_version',
    path: '/_synapse/admin/v1/server_version',
    accessToken: context.accessToken,
    idempotency: 'idempotent',
    schema: serverVersionSchema,
  });
}

/** `GET /_synapse/admin/v2/users/<id>`; `undefined` when the server answers `M_NOT_FOUND`. */
export async function getUser(context: ClientContext, userId: string): Promise<AdminUser | undefined> {
  try {
    return await context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v2/users/{userId}',
      path: `/_synapse/admin/v2/users/${segment(userId)}`,
      accessToken: requireToken(context, 'getUser'),
      idempotency: 'idempotent',
      schema: adminUserSchema,
    });
  } catch (error) {
    if (error instanceof SynapseApiError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** Fields of `PUT /_synapse/admin/v2/users/<id>`; omitted fields are left as they are. */
export interface UserFields {
  password?: string;
  /** With a new password: log out every device of the user (Synapse's default: true). */
  logoutDevices?: boolean;
  displayName?: string;
  avatarUrl?: string;
  admin?: boolean;
  deactivated?: boolean;
  locked?: boolean;
  userType?: string | null;
  /** Replaces the user's email addresses and phone numbers (`medium` `email` or `msisdn`). */
  threepids?: readonly { medium: string; address: string }[];
  /** Replaces the user's SSO identities. */
  externalIds?: readonly { authProvider: string; externalId: string }[];
}

function userBody(fields: UserFields): Record<string, unknown> {
  return {
    ...(fields.password === undefined ? {} : { password: fields.password }),
    ...(fields.logoutDevices === undefined ? {} : { logout_devices: fields.logoutDevices }),
    ...(fields.displayName === undefined ? {} : { displayname: fields.displayName }),
    ...(fields.avatarUrl === undefined ? {} : { avatar_url: fields.avatarUrl }),
    ...(fields.admin === undefined ? {} : { admin: fields.admin }),
    ...(fields.deactivated === undefined ? {} : { deactivated: fields.deactivated }),
    ...(fields.locked === undefined ? {} : { locked: fields.locked }),
    ...(fields.userType === undefined ? {} : { user_type: fields.userType }),
    ...(fields.threepids === undefined ? {} : { threepids: fields.threepids }),
    ...(fields.externalIds === undefined
      ? {}
      : { external_ids: fields.externalIds.map((id) => ({ auth_provider: id.authProvider, external_id: id.externalId })) }),
  };
}

/** `PUT /_synapse/admin/v2/users/<id>`: creates (201) or modifies (200) the user. */
export async function upsertUser(
  context: ClientContext,
  userId: string,
  fields: UserFields,
): Promise<{ created: boolean; user: AdminUser }> {
  const { value, status } = await context.transport.send({
    method: 'PUT',
    route: '/_synapse/admin/v2/users/{userId}',
    path: `/_synapse/admin/v2/users/${segment(userId)}`,
    accessToken: requireToken(context, 'upsertUser'),
    body: userBody(fields),
    secrets: [fields.password],
    idempotency: 'idempotent',
    schema: adminUserSchema,
  });
  return { created: status === 201, user: value };
}

/**
 * Creates a user that must not exist yet: GET first, then PUT. Fails with `user_exists` when it does. (Another
 * writer could still create the user between the two calls; the PUT would then modify it.)
 */
export async function createUser(context: ClientContext, userId: string, fields: UserFields): Promise<AdminUser> {
  const existing = await getUser(context, userId);
  if (existing !== undefined) {
    throw new SynapseClientError({
      code: 'user_exists',
      message: `User ${userId} already exists${existing.deactivated ? ' (deactivated)' : ''}`,
      nextSteps: ['Use upsertUser to modify an existing user, or pick another user id.'],
      method: 'GET',
      path: `/_synapse/admin/v2/users/${segment(userId)}`,
    });
  }
  return (await upsertUser(context, userId, fields)).user;
}

export interface ListUsersOptions {
  /** Page size (Synapse's default 100). */
  limit?: number;
  /** Only deactivated users (true) or only active ones (false); both when omitted. */
  deactivated?: boolean;
  /** Include guests (default false; under delegated auth only false is accepted). */
  guests?: boolean;
  /** Only admins (true) or only non-admins (false). */
  admins?: boolean;
  /** Include locked users (Synapse's default: false, they are left out). */
  locked?: boolean;
  /** Substring filter on user id localpart and display name. */
  name?: string;
  orderBy?: 'name' | 'is_guest' | 'admin' | 'user_type' | 'deactivated' | 'shadow_banned' | 'displayname' | 'avatar_url' | 'creation_ts' | 'last_seen_ts';
  dir?: 'f' | 'b';
}

/** One page of a list: its items, the token of the next page (`undefined` on the last one) and the server's total. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
  readonly total: number;
}

/** One `GET /_synapse/admin/v3/users` page from `from` (a `nextToken` of an earlier page; the start by default). */
export async function listUsersPage(context: ClientContext, options: ListUsersOptions & { from?: string } = {}): Promise<Page<ListedUser>> {
  const page = await context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v3/users',
    path: '/_synapse/admin/v3/users',
    query: {
      from: options.from,
      limit: options.limit,
      guests: options.guests ?? false,
      deactivated: options.deactivated,
      admins: options.admins,
      locked: options.locked,
      name: options.name,
      order_by: options.orderBy,
      dir: options.dir,
    },
    accessToken: requireToken(context, 'listUsersPage'),
    idempotency: 'idempotent',
    schema: userPageSchema,
  });
  return { items: page.users, nextToken: page.next_token == null ? undefined : String(page.next_token), total: page.total };
}

/** Every user, one {@link listUsersPage} at a time, following `next_token`. */
export async function* listUsers(context: ClientContext, options: ListUsersOptions = {}): AsyncGenerator<ListedUser, void, undefined> {
  requireToken(context, 'listUsers');
  let from: string | undefined;
  do {
    const page = await listUsersPage(context, { ...options, ...(from === undefined ? {} : { from }) });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

export interface LoginAsOptions {
  /** When the token stops working, in ms since the epoch. Default: never. */
  validUntilMs?: number;
}

/**
 * `POST /_synapse/admin/v1/users/<id>/login`: a token for the user, owned by the calling admin as a puppet.
 * It creates no device (whoami shows no `device_id`) and is not rate limited. Native auth only.
 */
export function loginAsUser(context: ClientContext, userId: string, options: LoginAsOptions = {}): Promise<{ accessToken: string }> {
  const accessToken = requireToken(context, 'loginAsUser');
  return requireNativeAuth(context, 'login_as', async () => {
    const body = await context.transport.call({
      method: 'POST',
      route: '/_synapse/admin/v1/users/{userId}/login',
      path: `/_synapse/admin/v1/users/${segment(userId)}/login`,
      accessToken,
      body: options.validUntilMs === undefined ? {} : { valid_until_ms: options.validUntilMs },
      idempotency: 'rate-limit-only',
      schema: accessTokenSchema,
    });
    return { accessToken: body.access_token };
  });
}

/** `POST /_synapse/admin/v1/deactivate/<id>`: revokes every token and device; `erase` also erases the profile. */
export async function deactivateUser(context: ClientContext, userId: string, options: { erase?: boolean } = {}): Promise<void> {
  await context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/deactivate/{userId}',
    path: `/_synapse/admin/v1/deactivate/${segment(userId)}`,
    accessToken: requireToken(context, 'deactivateUser'),
    body: { erase: options.erase ?? false },
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

export interface ResetPasswordOptions {
  newPassword: string;
  /** Log out every device of the user (default true). */
  logoutDevices?: boolean;
}

/** `POST /_synapse/admin/v1/reset_password/<id>`. Native auth only. */
export function resetPassword(context: ClientContext, userId: string, options: ResetPasswordOptions): Promise<void> {
  const accessToken = requireToken(context, 'resetPassword');
  return requireNativeAuth(context, 'reset_password', async () => {
    await context.transport.call({
      method: 'POST',
      route: '/_synapse/admin/v1/reset_password/{userId}',
      path: `/_synapse/admin/v1/reset_password/${segment(userId)}`,
      accessToken,
      body: { new_password: options.newPassword, logout_devices: options.logoutDevices ?? true },
      secrets: [options.newPassword],
      idempotency: 'idempotent',
      schema: emptySchema,
    });
  });
}

export interface RateLimitOverride {
  /** 0 (the default) lifts the limit. */
  messagesPerSecond?: number;
  burstCount?: number;
}

/** `POST /_synapse/admin/v1/users/<id>/override_ratelimit`: per-user message limits (not login/registration). */
export function overrideRateLimit(
  context: ClientContext,
  userId: string,
  override: RateLimitOverride = {},
): Promise<{ messagesPerSecond: number; burstCount: number }> {
  return context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/users/{userId}/override_ratelimit',
    path: `/_synapse/admin/v1/users/${segment(userId)}/override_ratelimit`,
    accessToken: requireToken(context, 'overrideRateLimit'),
    body: { messages_per_second: override.messagesPerSecond ?? 0, burst_count: override.burstCount ?? 0 },
    idempotency: 'idempotent',
    schema: rateLimitSchema,
  });
}

export type UsernameAvailability =
  | { available: true }
  | { available: false; reason: 'in_use' | 'invalid' | 'exclusive'; serverMessage: string | undefined };

/** `GET /_synapse/admin/v1/username_available`: Synapse answers 400 for taken or invalid names; mapped to a value. */
export async function isUsernameAvailable(context: ClientContext, username: string): Promise<UsernameAvailability> {
  try {
    const body = await context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v1/username_available',
      path: '/_synapse/admin/v1/username_available',
      query: { username },
      accessToken: requireToken(context, 'isUsernameAvailable'),
      idempotency: 'idempotent',
      schema: usernameAvailableSchema,
    });
    return body.available ? { available: true } : { available: false, reason: 'in_use', serverMessage: undefined };
  } catch (error) {
    if (error instanceof SynapseApiError) {
      const reason =
        error.code === 'user_in_use' ? 'in_use' : error.code === 'invalid_username' ? 'invalid' : error.code === 'exclusive_namespace' ? 'exclusive' : undefined;
      if (reason !== undefined) return { available: false, reason, serverMessage: error.serverMessage };
    }
    throw error;
  }
}

/** Shortcut for the `{userId}` admin routes: the route template and the concrete path. */
function userRoute(prefix: string, userId: string, suffix: string): { route: string; path: string } {
  return { route: `${prefix}/{userId}${suffix}`, path: `${prefix}/${segment(userId)}${suffix}` };
}

const connectionSchema = z.looseObject({ ip: nullableString, last_seen: z.number().nullish(), user_agent: nullableString });
const whoisSchema = z.looseObject({
  user_id: z.string(),
  devices: z.record(z.string(), z.looseObject({ sessions: z.array(z.looseObject({ connections: z.array(connectionSchema) })) })),
});

/** The sessions of a user as {@link whois} reports them: per device id (`''` for tokens without a device), its connections. */
export interface Whois {
  readonly userId: string;
  readonly devices: Readonly<Record<string, { sessions: { connections: { ip: string | undefined; lastSeenMs: number | undefined; userAgent: string | undefined }[] }[] }>>;
  readonly other: Readonly<Record<string, unknown>>;
}

/** `GET /_synapse/admin/v1/whois/<id>`: the user's devices and the IPs and user agents they were last seen with. Local users only. */
export async function whois(context: ClientContext, userId: string): Promise<Whois> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/whois', userId, ''),
    accessToken: requireToken(context, 'whois'),
    idempotency: 'idempotent',
    schema: whoisSchema,
  });
  const devices = Object.fromEntries(
    Object.entries(body.devices).map(([deviceId, device]) => [
      deviceId,
      {
        sessions: device.sessions.map((session) => ({
          connections: session.connections.map((connection) => ({
            ip: connection.ip,
            lastSeenMs: connection.last_seen ?? undefined,
            userAgent: connection.user_agent,
          })),
        })),
      },
    ]),
  );
  return { userId: body.user_id, devices, other: unknownFields(body, ['user_id', 'devices']) };
}

const joinedRoomsSchema = z.looseObject({ joined_rooms: z.array(z.string()), total: z.number().optional() });

/** `GET /_synapse/admin/v1/users/<id>/joined_rooms`: the rooms the user is joined to (and this server takes part in). */
export async function listJoinedRooms(context: ClientContext, userId: string): Promise<{ roomIds: string[]; total: number; other: Readonly<Record<string, unknown>> }> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/joined_rooms'),
    accessToken: requireToken(context, 'listJoinedRooms'),
    idempotency: 'idempotent',
    schema: joinedRoomsSchema,
  });
  return { roomIds: body.joined_rooms, total: body.total ?? body.joined_rooms.length, other: unknownFields(body, ['joined_rooms', 'total']) };
}

const membershipsSchema = z.looseObject({ memberships: z.record(z.string(), z.string()) });

/**
 * `GET /_synapse/admin/v1/users/<id>/memberships`: every room the server knows a membership of the user in, with that
 * membership (`join`, `leave`, `invite`, `ban`, `knock`). Rooms the user left stay until purged.
 */
export async function getMemberships(context: ClientContext, userId: string): Promise<{ memberships: Record<string, string>; other: Readonly<Record<string, unknown>> }> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/memberships'),
    accessToken: requireToken(context, 'getMemberships'),
    idempotency: 'idempotent',
    schema: membershipsSchema,
  });
  return { memberships: body.memberships, other: unknownFields(body, ['memberships']) };
}

const accountDataSchema = z.looseObject({
  account_data: z.looseObject({
    global: z.record(z.string(), z.unknown()).optional(),
    rooms: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  }),
});

/** A user's account data: global events by type, and per room id the room's events by type. Contents as stored. */
export interface AccountData {
  readonly global: Record<string, unknown>;
  readonly rooms: Record<string, Record<string, unknown>>;
  readonly other: Readonly<Record<string, unknown>>;
}

/** `GET /_synapse/admin/v1/users/<id>/accountdata`. */
export async function getAccountData(context: ClientContext, userId: string): Promise<AccountData> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/accountdata'),
    accessToken: requireToken(context, 'getAccountData'),
    idempotency: 'idempotent',
    schema: accountDataSchema,
  });
  return {
    global: body.account_data.global ?? {},
    rooms: body.account_data.rooms ?? {},
    other: { ...unknownFields(body, ['account_data']), ...unknownFields(body.account_data, ['global', 'rooms']) },
  };
}

const pusherFields = {
  app_id: z.string(),
  pushkey: z.string(),
  kind: z.string(),
  app_display_name: nullableString,
  device_display_name: nullableString,
  profile_tag: nullableString,
  lang: nullableString,
  data: z.record(z.string(), z.unknown()).optional(),
};
const pusherSchema = z.looseObject(pusherFields).transform((pusher) => ({
  appId: pusher.app_id,
  pushkey: pusher.pushkey,
  kind: pusher.kind,
  appDisplayName: pusher.app_display_name,
  deviceDisplayName: pusher.device_display_name,
  profileTag: pusher.profile_tag,
  lang: pusher.lang,
  /** For `http` pushers: `url` and `format` of the push gateway. */
  data: pusher.data ?? {},
  other: unknownFields(pusher, Object.keys(pusherFields)),
}));

export type Pusher = z.infer<typeof pusherSchema>;

/** `GET /_synapse/admin/v1/users/<id>/pushers`: where the user's notifications are pushed. */
export async function listPushers(context: ClientContext, userId: string): Promise<Pusher[]> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/pushers'),
    accessToken: requireToken(context, 'listPushers'),
    idempotency: 'idempotent',
    schema: z.looseObject({ pushers: z.array(pusherSchema) }),
  });
  return body.pushers;
}

const userMediaFields = {
  media_id: z.string(),
  media_type: nullableString,
  media_length: z.number().nullish(),
  upload_name: nullableString,
  created_ts: z.number().nullish(),
  last_access_ts: z.number().nullish(),
  quarantined_by: nullableString,
  safe_from_quarantine: flag.optional(),
};

const userMediaSchema = z.looseObject(userMediaFields).transform((media) => ({
  mediaId: media.media_id,
  mediaType: media.media_type,
  mediaLength: media.media_length ?? undefined,
  uploadName: media.upload_name,
  createdAtMs: media.created_ts ?? undefined,
  /** `undefined` when nobody downloaded it yet. */
  lastAccessMs: media.last_access_ts ?? undefined,
  quarantinedBy: media.quarantined_by,
  safeFromQuarantine: media.safe_from_quarantine ?? false,
  other: unknownFields(media, Object.keys(userMediaFields)),
}));

export type UserMedia = z.infer<typeof userMediaSchema>;

const userMediaPageSchema = z.looseObject({
  media: z.array(userMediaSchema),
  total: z.number(),
  next_token: z.union([z.number(), z.string()]).nullish(),
});

/** Order of a user's media (Synapse's default: newest first, `created_ts` backwards). Only `media_id` and `created_ts` are indexed. */
export interface UserMediaOrder {
  orderBy?: 'media_id' | 'upload_name' | 'created_ts' | 'last_access_ts' | 'media_length' | 'media_type' | 'quarantined_by' | 'safe_from_quarantine';
  dir?: 'f' | 'b';
}

export interface ListUserMediaOptions extends UserMediaOrder {
  /** Page size (Synapse's default 100). */
  limit?: number;
}

/** One `GET /_synapse/admin/v1/users/<id>/media` page: the local media the user uploaded (and URL previews they asked for). */
export async function listUserMediaPage(context: ClientContext, userId: string, options: ListUserMediaOptions & { from?: string } = {}): Promise<Page<UserMedia>> {
  const page = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/media'),
    query: { from: options.from, limit: options.limit, order_by: options.orderBy, dir: options.dir },
    accessToken: requireToken(context, 'listUserMediaPage'),
    idempotency: 'idempotent',
    schema: userMediaPageSchema,
  });
  return { items: page.media, nextToken: page.next_token == null ? undefined : String(page.next_token), total: page.total };
}

/** Every medium the user uploaded, one {@link listUserMediaPage} at a time. */
export async function* listUserMedia(context: ClientContext, userId: string, options: ListUserMediaOptions = {}): AsyncGenerator<UserMedia, void, undefined> {
  requireToken(context, 'listUserMedia');
  let from: string | undefined;
  do {
    const page = await listUserMediaPage(context, userId, { ...options, ...(from === undefined ? {} : { from }) });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

export interface DeleteUserMediaOptions extends UserMediaOrder {
  /** How many to delete in this call (Synapse's default 100); call again until `total` is 0 to delete them all. */
  limit?: number;
}

const deletedMediaSchema = z.looseObject({ deleted_media: z.array(z.string()), total: z.number() });

/**
 * `DELETE /_synapse/admin/v1/users/<id>/media`: deletes up to `limit` of the user's local media (files and
 * thumbnails), in the given order. Never resent: a repeat after a lost answer would delete the next batch.
 */
export async function deleteUserMedia(
  context: ClientContext,
  userId: string,
  options: DeleteUserMediaOptions = {},
): Promise<{ deletedMediaIds: string[]; total: number; other: Readonly<Record<string, unknown>> }> {
  const body = await context.transport.call({
    method: 'DELETE',
    ...userRoute('/_synapse/admin/v1/users', userId, '/media'),
    query: { limit: options.limit, order_by: options.orderBy, dir: options.dir },
    accessToken: requireToken(context, 'deleteUserMedia'),
    idempotency: 'never',
    schema: deletedMediaSchema,
  });
  return { deletedMediaIds: body.deleted_media, total: body.total, other: unknownFields(body, ['deleted_media', 'total']) };
}

/** `POST /_synapse/admin/v1/users/<id>/shadow_ban`: the user's events stop reaching rooms, without them being told. Local users only. */
export async function shadowBanUser(context: ClientContext, userId: string): Promise<void> {
  await context.transport.call({
    method: 'POST',
    ...userRoute('/_synapse/admin/v1/users', userId, '/shadow_ban'),
    accessToken: requireToken(context, 'shadowBanUser'),
    body: {},
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

/** `DELETE /_synapse/admin/v1/users/<id>/shadow_ban`: lifts a shadow-ban. */
export async function unshadowBanUser(context: ClientContext, userId: string): Promise<void> {
  await context.transport.call({
    method: 'DELETE',
    ...userRoute('/_synapse/admin/v1/users', userId, '/shadow_ban'),
    accessToken: requireToken(context, 'unshadowBanUser'),
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

/** `GET /_synapse/admin/v1/users/<id>/override_ratelimit`: the user's override, or `undefined` when none is set. */
export async function getRateLimitOverride(context: ClientContext, userId: string): Promise<{ messagesPerSecond: number; burstCount: number } | undefined> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/override_ratelimit'),
    accessToken: requireToken(context, 'getRateLimitOverride'),
    idempotency: 'idempotent',
    schema: z.looseObject({ messages_per_second: z.number().optional(), burst_count: z.number().optional() }),
  });
  if (body.messages_per_second === undefined && body.burst_count === undefined) return undefined;
  return { messagesPerSecond: body.messages_per_second ?? 0, burstCount: body.burst_count ?? 0 };
}

/** `DELETE /_synapse/admin/v1/users/<id>/override_ratelimit`: back to the server's limits. */
export async function deleteRateLimitOverride(context: ClientContext, userId: string): Promise<void> {
  await context.transport.call({
    method: 'DELETE',
    ...userRoute('/_synapse/admin/v1/users', userId, '/override_ratelimit'),
    accessToken: requireToken(context, 'deleteRateLimitOverride'),
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

/** `GET /_synapse/admin/v1/users/<id>/admin`. Native auth only (the auth service owns the flag under delegated auth). */
export function getUserAdmin(context: ClientContext, userId: string): Promise<boolean> {
  const accessToken = requireToken(context, 'getUserAdmin');
  return requireNativeAuth(context, 'user_admin_status', async () => {
    const body = await context.transport.call({
      method: 'GET',
      ...userRoute('/_synapse/admin/v1/users', userId, '/admin'),
      accessToken,
      idempotency: 'idempotent',
      schema: z.looseObject({ admin: z.boolean() }),
    });
    return body.admin;
  });
}

/** `PUT /_synapse/admin/v1/users/<id>/admin`: grants or revokes server admin. An admin cannot demote themselves. Native auth only. */
export function setUserAdmin(context: ClientContext, userId: string, admin: boolean): Promise<void> {
  const accessToken = requireToken(context, 'setUserAdmin');
  return requireNativeAuth(context, 'user_admin_status', async () => {
    await context.transport.call({
      method: 'PUT',
      ...userRoute('/_synapse/admin/v1/users', userId, '/admin'),
      accessToken,
      body: { admin },
      idempotency: 'idempotent',
      schema: emptySchema,
    });
  });
}

/**
 * `PUT /_synapse/admin/v1/suspend/<id>`: suspends (`true`) or unsuspends a local user. A suspended user cannot
 * invite, join, knock, send messages, change their profile or redact others' events; they can still log in and read.
 */
export async function setUserSuspended(context: ClientContext, userId: string, suspended: boolean): Promise<void> {
  await context.transport.call({
    method: 'PUT',
    ...userRoute('/_synapse/admin/v1/suspend', userId, ''),
    accessToken: requireToken(context, 'setUserSuspended'),
    body: { suspend: suspended },
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

export interface RedactUserEventsOptions {
  /** Rooms to redact in; empty (the default) means every room the user is joined to or banned from. */
  rooms?: readonly string[];
  /** Shown in every redaction event. */
  reason?: string;
  /** How many of the user's events to look at per room, newest first (Synapse's default 1000). */
  limit?: number;
  /** Redact as the calling admin instead of as the user (needed for remote users; fails where the admin lacks power). */
  useAdmin?: boolean;
  /** Only events sent at or after this time (ms since the epoch). */
  afterMs?: number;
  /** Only events sent at or before this time (ms since the epoch). */
  beforeMs?: number;
}

const redactStatusSchema = z
  .looseObject({
    status: z.string(),
    failed_redactions: z.record(z.string(), z.string()).nullish(),
    error: z.string().nullish(),
  })
  .transform((body) => ({
    /** `scheduled`, `active`, `complete` or `failed`. */
    status: body.status,
    /** Event id -> why it could not be redacted; filled once complete. */
    failedRedactions: body.failed_redactions ?? {},
    error: body.error ?? undefined,
    other: unknownFields(body, ['status', 'failed_redactions', 'error']),
  }));

export type UserRedactionStatus = z.infer<typeof redactStatusSchema>;

/** `GET /_synapse/admin/v1/user/redact_status/<redactId>`. Synapse keeps it 24 hours after completion, or until it restarts. */
export function userRedactionStatus(context: ClientContext, redactId: string): Promise<UserRedactionStatus> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/user/redact_status/{redactId}',
    path: `/_synapse/admin/v1/user/redact_status/${segment(redactId)}`,
    accessToken: requireToken(context, 'userRedactionStatus'),
    idempotency: 'idempotent',
    schema: redactStatusSchema,
  });
}

/** The handle of a started redaction, from its id (for a caller that kept the id of an earlier {@link redactUserEvents}). */
export function userRedactionTask(context: ClientContext, redactId: string): BackgroundTask<UserRedactionStatus> {
  return backgroundTask({
    id: redactId,
    what: 'Redaction of user events',
    statusPath: `/_synapse/admin/v1/user/redact_status/${segment(redactId)}`,
    fetch: () => userRedactionStatus(context, redactId),
    state: (status) =>
      status.status === 'complete'
        ? { kind: 'done' }
        : status.status === 'failed'
          ? { kind: 'failed', error: status.error }
          : { kind: 'running', name: status.status },
    failedCode: 'background_task_failed',
    timeoutCode: 'background_task_timeout',
    onFailure: ['Check the Synapse logs for the redaction task, then start it again (events already redacted are skipped).'],
  });
}

/**
 * `POST /_synapse/admin/v1/user/<id>/redact`: starts redacting the user's events in the background and returns its
 * handle; `wait()` resolves once it is complete, with `failedRedactions` naming the events it could not redact.
 */
export async function redactUserEvents(context: ClientContext, userId: string, options: RedactUserEventsOptions = {}): Promise<BackgroundTask<UserRedactionStatus>> {
  const body = await context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v1/user/{userId}/redact',
    path: `/_synapse/admin/v1/user/${segment(userId)}/redact`,
    accessToken: requireToken(context, 'redactUserEvents'),
    body: {
      rooms: options.rooms ?? [],
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.useAdmin === undefined ? {} : { use_admin: options.useAdmin }),
      ...(options.afterMs === undefined ? {} : { after_ts: options.afterMs }),
      ...(options.beforeMs === undefined ? {} : { before_ts: options.beforeMs }),
    },
    idempotency: 'rate-limit-only',
    schema: z.looseObject({ redact_id: z.string().min(1) }),
  });
  return userRedactionTask(context, body.redact_id);
}

const userIdSchema = z.looseObject({ user_id: z.string() });

async function lookUpUser(context: ClientContext, what: string, route: string, path: string): Promise<string | undefined> {
  try {
    const body = await context.transport.call({ method: 'GET', route, path, accessToken: requireToken(context, what), idempotency: 'idempotent', schema: userIdSchema });
    return body.user_id;
  } catch (error) {
    if (error instanceof SynapseApiError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** `GET /_synapse/admin/v1/threepid/<medium>/users/<address>`: the user with that email or phone number, or `undefined`. */
export function findUserByThreepid(context: ClientContext, medium: string, address: string): Promise<string | undefined> {
  return lookUpUser(
    context,
    'findUserByThreepid',
    '/_synapse/admin/v1/threepid/{medium}/users/{address}',
    `/_synapse/admin/v1/threepid/${segment(medium)}/users/${segment(address)}`,
  );
}

/** `GET /_synapse/admin/v1/auth_providers/<provider>/users/<externalId>`: the user an SSO identity maps to, or `undefined`. */
export function findUserByExternalId(context: ClientContext, authProvider: string, externalId: string): Promise<string | undefined> {
  return lookUpUser(
    context,
    'findUserByExternalId',
    '/_synapse/admin/v1/auth_providers/{authProvider}/users/{externalId}',
    `/_synapse/admin/v1/auth_providers/${segment(authProvider)}/users/${segment(externalId)}`,
  );
}

/** `GET /_synapse/admin/v1/users/<id>/sent_invite_count`: invites the user sent since `sinceMs` (ms since the epoch). */
export async function sentInviteCount(context: ClientContext, userId: string, options: { sinceMs: number }): Promise<number> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/sent_invite_count'),
    query: { from_ts: options.sinceMs },
    accessToken: requireToken(context, 'sentInviteCount'),
    idempotency: 'idempotent',
    schema: z.looseObject({ invite_count: z.number() }),
  });
  return body.invite_count;
}

/** `GET /_synapse/admin/v1/users/<id>/cumulative_joined_room_count`: rooms joined since `sinceMs`, including ones left since. */
export async function cumulativeJoinedRoomCount(context: ClientContext, userId: string, options: { sinceMs: number }): Promise<number> {
  const body = await context.transport.call({
    method: 'GET',
    ...userRoute('/_synapse/admin/v1/users', userId, '/cumulative_joined_room_count'),
    query: { from_ts: options.sinceMs },
    accessToken: requireToken(context, 'cumulativeJoinedRoomCount'),
    idempotency: 'idempotent',
    schema: z.looseObject({ cumulative_joined_room_count: z.number() }),
  });
  return body.cumulative_joined_room_count;
}

/**
 * `POST /_synapse/admin/v1/users/<id>/_allow_cross_signing_replacement_without_uia`: lets the user replace their
 * master cross-signing key without interactive auth until the returned time. `not_found` if they have no such key.
 */
export async function allowCrossSigningReplacementWithoutUia(context: ClientContext, userId: string): Promise<{ allowedUntilMs: number }> {
  const body = await context.transport.call({
    method: 'POST',
    ...userRoute('/_synapse/admin/v1/users', userId, '/_allow_cross_signing_replacement_without_uia'),
    accessToken: requireToken(context, 'allowCrossSigningReplacementWithoutUia'),
    body: {},
    idempotency: 'idempotent',
    schema: z.looseObject({ updatable_without_uia_before_ms: z.number() }),
  });
  return { allowedUntilMs: body.updatable_without_uia_before_ms };
}

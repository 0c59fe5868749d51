import type { z } from 'zod';
import { requireNativeAuth } from './auth-mode.ts';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import {
  accessTokenSchema,
  adminUserSchema,
  emptySchema,
  rateLimitSchema,
  serverVersionSchema,
  userPageSchema,
  usernameAvailableSchema,
} from './schemas.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';

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
  /** Include deactivated users (default false). */
  deactivated?: boolean;
  /** Include guests (default false; under delegated auth only false is accepted). */
  guests?: boolean;
  /** Only admins (true) or only non-admins (false). */
  admins?: boolean;
  /** Substring filter on user id and display name. */
  name?: string;
  orderBy?: 'name' | 'is_guest' | 'admin' | 'user_type' | 'deactivated' | 'shadow_banned' | 'displayname' | 'avatar_url' | 'creation_ts' | 'last_seen_ts';
  dir?: 'f' | 'b';
}

/** Every user, one `GET /_synapse/admin/v3/users` page at a time, following `next_token`. */
export async function* listUsers(context: ClientContext, options: ListUsersOptions = {}): AsyncGenerator<ListedUser, void, undefined> {
  const accessToken = requireToken(context, 'listUsers');
  let from: string | undefined;
  do {
    const page = await context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v3/users',
      path: '/_synapse/admin/v3/users',
      query: {
        from,
        limit: options.limit,
        guests: options.guests ?? false,
        deactivated: options.deactivated,
        admins: options.admins,
        name: options.name,
        order_by: options.orderBy,
        dir: options.dir,
      },
      accessToken,
      idempotency: 'idempotent',
      schema: userPageSchema,
    });
    yield* page.users;
    from = page.next_token === undefined ? undefined : String(page.next_token);
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

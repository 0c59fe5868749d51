import { z } from 'zod';
import { unknownFields } from './unknown-fields.ts';

// Runtime shapes of the Synapse answers this package reads. Unknown fields are tolerated (the user and device shapes
// keep them under `other`, the others drop them); a missing or mistyped field the caller relies on is an
// `invalid_response` error rather than a silent `undefined`.

/** Synapse used 0/1 integers for some flags in older versions. */
export const flag = z.union([z.boolean(), z.number()]).transform((value) => value === true || value === 1);
export const nullableString = z.string().nullish().transform((value) => value ?? undefined);

export const emptySchema = z.unknown().transform(() => undefined);

export const whoamiSchema = z
  .object({ user_id: z.string(), device_id: z.string().optional(), is_guest: z.boolean().optional() })
  .transform((body) => ({ userId: body.user_id, deviceId: body.device_id, isGuest: body.is_guest === true }));

export const nonceSchema = z.object({ nonce: z.string().min(1) });

export const sessionSchema = z
  .object({
    user_id: z.string(),
    access_token: z.string().min(1),
    device_id: z.string().optional(),
    home_server: z.string().optional(),
    expires_in_ms: z.number().optional(),
    refresh_token: z.string().optional(),
  })
  .transform((body) => ({
    userId: body.user_id,
    accessToken: body.access_token,
    deviceId: body.device_id,
    expiresInMs: body.expires_in_ms,
    refreshToken: body.refresh_token,
  }));

export const serverVersionSchema = z
  .object({ server_version: z.string() })
  .transform((body) => ({ serverVersion: body.server_version }));

const userFields = {
  name: z.string(),
  admin: flag.optional(),
  deactivated: flag.optional(),
  is_guest: flag.optional(),
  locked: flag.optional(),
  suspended: flag.optional(),
  shadow_banned: flag.optional(),
  erased: flag.optional(),
  approved: flag.optional(),
  displayname: nullableString,
  avatar_url: nullableString,
  user_type: nullableString,
  appservice_id: nullableString,
  creation_ts: z.number().nullish(),
  last_seen_ts: z.number().nullish(),
};

/** The fields both user shapes share, camel-cased; `creationTsToMs` converts the server's `creation_ts` unit. */
function userSummary(user: z.infer<z.ZodObject<typeof userFields>>, creationTsToMs: number) {
  return {
    userId: user.name,
    admin: user.admin ?? false,
    deactivated: user.deactivated ?? false,
    guest: user.is_guest ?? false,
    locked: user.locked ?? false,
    suspended: user.suspended ?? false,
    shadowBanned: user.shadow_banned ?? false,
    erased: user.erased ?? false,
    /** Only sent when the server requires approval of new accounts (MSC3866); `undefined` otherwise. */
    approved: user.approved,
    displayName: user.displayname,
    avatarUrl: user.avatar_url,
    userType: user.user_type,
    /** The application service that registered the user, if any. */
    appserviceId: user.appservice_id,
    createdAtMs: user.creation_ts == null ? undefined : user.creation_ts * creationTsToMs,
    /** Last activity (ms since the epoch) over the user's devices and IPs; `undefined` if never seen. */
    lastSeenMs: user.last_seen_ts ?? undefined,
  };
}

const adminUserFields = {
  ...userFields,
  external_ids: z.array(z.object({ auth_provider: z.string(), external_id: z.string() })).optional(),
  threepids: z.array(z.object({ medium: z.string(), address: z.string() })).optional(),
};

/**
 * `GET /_synapse/admin/v2/users/<id>`; `creation_ts` there is in seconds. Fields this schema does not name
 * (`consent_version`, `consent_ts`, ...) are kept under `other`.
 */
export const adminUserSchema = z.looseObject(adminUserFields).transform((user) => ({
  ...userSummary(user, 1000),
  externalIds: (user.external_ids ?? []).map((id) => ({ authProvider: id.auth_provider, externalId: id.external_id })),
  threepids: user.threepids ?? [],
  other: unknownFields(user, Object.keys(adminUserFields)),
}));

/** One entry of `GET /_synapse/admin/v3/users`; `creation_ts` there is in milliseconds. */
const listedUserSchema = z
  .looseObject(userFields)
  .transform((user) => ({ ...userSummary(user, 1), other: unknownFields(user, Object.keys(userFields)) }));

export const userPageSchema = z.looseObject({
  users: z.array(listedUserSchema),
  total: z.number(),
  next_token: z.union([z.string(), z.number()]).nullish(),
});

export const accessTokenSchema = z.object({ access_token: z.string().min(1) });

const deviceFields = {
  device_id: z.string(),
  user_id: nullableString,
  display_name: nullableString,
  last_seen_ts: z.number().nullish(),
  last_seen_ip: nullableString,
  last_seen_user_agent: nullableString,
  dehydrated: z.boolean().optional(),
};

/** One device as the admin device endpoints return it; fields this schema does not name are kept under `other`. */
export const deviceSchema = z.looseObject(deviceFields).transform((device) => ({
  deviceId: device.device_id,
  userId: device.user_id,
  displayName: device.display_name,
  lastSeenMs: device.last_seen_ts ?? undefined,
  lastSeenIp: device.last_seen_ip,
  lastSeenUserAgent: device.last_seen_user_agent,
  /** Whether it is the user's dehydrated device (only sent when the user has one). */
  dehydrated: device.dehydrated ?? false,
  other: unknownFields(device, Object.keys(deviceFields)),
}));

export const devicesSchema = z.object({ devices: z.array(deviceSchema) }).transform((body) => body.devices);

export const usernameAvailableSchema = z.object({ available: z.boolean() });

export const rateLimitSchema = z
  .object({ messages_per_second: z.number().optional(), burst_count: z.number().optional() })
  .transform((body) => ({ messagesPerSecond: body.messages_per_second ?? 0, burstCount: body.burst_count ?? 0 }));

/** The fields `GET /_synapse/admin/v1/rooms` gives for each room; the room details add more (see admin-rooms.ts). */
export const roomSummaryFields = {
  room_id: z.string(),
  name: nullableString,
  canonical_alias: nullableString,
  joined_members: z.number().nullish(),
  joined_local_members: z.number().nullish(),
  version: nullableString,
  creator: nullableString,
  encryption: nullableString,
  federatable: flag.nullish(),
  public: flag.nullish(),
  join_rules: nullableString,
  guest_access: nullableString,
  history_visibility: nullableString,
  room_type: nullableString,
  state_events: z.number().nullish(),
};

/** The camel-cased summary of a room; `other` keeps the fields not listed in `known`. */
export function roomSummary(room: z.infer<z.ZodObject<typeof roomSummaryFields>> & Record<string, unknown>, known: readonly string[]) {
  return {
    roomId: room.room_id,
    name: room.name,
    canonicalAlias: room.canonical_alias,
    joinedMembers: room.joined_members ?? 0,
    joinedLocalMembers: room.joined_local_members ?? 0,
    version: room.version,
    creator: room.creator,
    encryption: room.encryption,
    federatable: room.federatable ?? false,
    public: room.public ?? false,
    joinRules: room.join_rules,
    guestAccess: room.guest_access,
    historyVisibility: room.history_visibility,
    roomType: room.room_type,
    stateEvents: room.state_events ?? 0,
    other: unknownFields(room, known),
  };
}

const listedRoomSchema = z.looseObject(roomSummaryFields).transform((room) => roomSummary(room, Object.keys(roomSummaryFields)));

export const roomPageSchema = z.object({
  rooms: z.array(listedRoomSchema),
  total_rooms: z.number().optional(),
  next_batch: z.union([z.number(), z.string()]).nullish(),
});

export const deleteIdSchema = z.object({ delete_id: z.string().min(1) }).transform((body) => ({ deleteId: body.delete_id }));

const shutdownResultFields = {
  kicked_users: z.array(z.string()).nullish(),
  failed_to_kick_users: z.array(z.string()).nullish(),
  local_aliases: z.array(z.string()).nullish(),
  new_room_id: z.string().nullish(),
};

/** What shutting a room down did (the v1 delete's answer, and `shutdown_room` of a v2 delete status). */
export const shutdownResultSchema = z.looseObject(shutdownResultFields).transform((body) => ({
  kickedUsers: body.kicked_users ?? [],
  failedToKickUsers: body.failed_to_kick_users ?? [],
  localAliases: body.local_aliases ?? [],
  newRoomId: body.new_room_id ?? undefined,
  other: unknownFields(body, Object.keys(shutdownResultFields)),
}));

const deleteStatusFields = {
  status: z.string(),
  error: z.string().nullish(),
  delete_id: z.string().optional(),
  room_id: z.string().optional(),
  shutdown_room: shutdownResultSchema.nullish(),
};

export const deleteStatusSchema = z.looseObject(deleteStatusFields).transform((body) => ({
  status: body.status,
  error: body.error ?? undefined,
  deleteId: body.delete_id,
  roomId: body.room_id,
  kickedUsers: body.shutdown_room?.kickedUsers ?? [],
  failedToKickUsers: body.shutdown_room?.failedToKickUsers ?? [],
  localAliases: body.shutdown_room?.localAliases ?? [],
  newRoomId: body.shutdown_room?.newRoomId,
  other: unknownFields(body, Object.keys(deleteStatusFields)),
}));

export const roomIdSchema = z.object({ room_id: z.string() }).transform((body) => ({ roomId: body.room_id }));

export const eventIdSchema = z.object({ event_id: z.string() }).transform((body) => ({ eventId: body.event_id }));

export const messagesSchema = z.object({
  chunk: z.array(
    z.object({
      event_id: z.string(),
      type: z.string(),
      sender: z.string(),
      origin_server_ts: z.number(),
      content: z.record(z.string(), z.unknown()),
      unsigned: z.object({ transaction_id: z.string().optional() }).optional(),
    }),
  ),
  start: z.string().optional(),
  end: z.string().optional(),
});

export const loginFlowsSchema = z.object({
  flows: z.array(z.looseObject({ type: z.string(), oauth_aware_preferred: z.boolean().optional() })),
});

export const authMetadataSchema = z.looseObject({ issuer: z.string().min(1) });

import type { Idempotency } from './retry-policy.ts';
import type { HttpMethod } from './synapse-transport.ts';

/**
 * What Synapse does to an endpoint when it delegates auth to the Matrix Authentication Service (MSC3861): `served`
 * as under native auth, or `refused` (the servlet is not registered, or answers that MAS owns it); the client then
 * raises `AuthModeUnsupportedError` for it.
 */
export type DelegatedAuthBehaviour = 'served' | 'refused';

/** One Synapse endpoint this package calls, and where the client serves it. */
export interface EndpointEntry {
  /** The area of Synapse's admin API docs it belongs to (`users`, `rooms`, `media`, ...), or `client` for the client-server API. */
  readonly area: string;
  readonly method: HttpMethod;
  /** The route as the client sends it, parameters in braces: `/_synapse/admin/v2/users/{userId}`. */
  readonly route: string;
  /** The client method serving it, as reached from a `SynapseClient`: `admin.getUser`, `rooms.create`, `whoami`. */
  readonly call: string;
  /** How the retry policy treats it. */
  readonly idempotency: Idempotency;
  readonly delegatedAuth: DelegatedAuthBehaviour;
}

/**
 * Client methods that call no endpoint of their own: they combine or poll the ones listed (the inventory test skips
 * them when it checks that every method has an entry).
 */
export const COMPOSITE_CALLS: readonly string[] = Object.freeze(['withAccessToken', 'detectAuthMode', 'admin.waitForRoomDeletion', 'admin.media.listQuarantineChanges', 'admin.statistics.listUserMediaUsage']);

const entry = (area: string, method: HttpMethod, route: string, call: string, idempotency: Idempotency, delegatedAuth: DelegatedAuthBehaviour = 'served'): EndpointEntry =>
  Object.freeze({ area, method, route, call, idempotency, delegatedAuth });

/**
 * Every endpoint the client calls, by area. The inventory test holds it to the exported methods both ways, and the
 * README's endpoint table is generated from it (`node src/write-endpoint-table.ts`).
 */
export const ENDPOINTS: readonly EndpointEntry[] = Object.freeze([
  entry('client', 'POST', '/_synapse/admin/v1/register', 'registerWithSharedSecret', 'never', 'refused'),
  entry('client', 'POST', '/_matrix/client/v3/login', 'loginWithPassword', 'rate-limit-only', 'refused'),
  entry('client', 'GET', '/_matrix/client/v3/account/whoami', 'whoami', 'idempotent'),
  entry('client', 'POST', '/_matrix/client/v3/logout', 'logout', 'idempotent', 'refused'),
  entry('client', 'POST', '/_matrix/client/v3/createRoom', 'rooms.create', 'rate-limit-only'),
  entry('client', 'POST', '/_matrix/client/v3/join/{roomIdOrAlias}', 'rooms.join', 'idempotent'),
  entry('client', 'PUT', '/_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}', 'rooms.sendText', 'idempotent'),
  entry('client', 'GET', '/_matrix/client/v3/rooms/{roomId}/messages', 'rooms.recentMessages', 'idempotent'),
  entry('server', 'GET', '/_synapse/admin/v1/server_version', 'admin.serverVersion', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v2/users/{userId}', 'admin.getUser', 'idempotent'),
  entry('users', 'PUT', '/_synapse/admin/v2/users/{userId}', 'admin.upsertUser', 'idempotent'),
  entry('users', 'PUT', '/_synapse/admin/v2/users/{userId}', 'admin.createUser', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v3/users', 'admin.listUsers', 'idempotent'),
  entry('users', 'POST', '/_synapse/admin/v1/users/{userId}/login', 'admin.loginAsUser', 'rate-limit-only', 'refused'),
  entry('users', 'POST', '/_synapse/admin/v1/deactivate/{userId}', 'admin.deactivateUser', 'idempotent'),
  entry('users', 'POST', '/_synapse/admin/v1/reset_password/{userId}', 'admin.resetPassword', 'idempotent', 'refused'),
  entry('users', 'POST', '/_synapse/admin/v1/users/{userId}/override_ratelimit', 'admin.overrideRateLimit', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/username_available', 'admin.isUsernameAvailable', 'idempotent'),
  entry('devices', 'GET', '/_synapse/admin/v2/users/{userId}/devices', 'admin.listDevices', 'idempotent'),
  entry('devices', 'POST', '/_synapse/admin/v2/users/{userId}/delete_devices', 'admin.deleteDevices', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms', 'admin.listRooms', 'idempotent'),
  entry('rooms', 'DELETE', '/_synapse/admin/v2/rooms/{roomId}', 'admin.deleteRoom', 'rate-limit-only'),
  entry('rooms', 'GET', '/_synapse/admin/v2/rooms/delete_status/{deleteId}', 'admin.roomDeleteStatus', 'idempotent'),
  entry('rooms', 'POST', '/_synapse/admin/v1/join/{roomIdOrAlias}', 'admin.joinUserToRoom', 'idempotent'),
  entry('client', 'POST', '/_matrix/media/v3/upload', 'media.upload', 'rate-limit-only'),
  entry('media', 'GET', '/_synapse/admin/v1/media/{serverName}/{mediaId}', 'admin.media.getMedia', 'idempotent'),
  entry('media', 'GET', '/_synapse/admin/v1/room/{roomId}/media', 'admin.media.listRoomMedia', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}', 'admin.media.quarantineMedia', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId}', 'admin.media.unquarantineMedia', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/room/{roomId}/media/quarantine', 'admin.media.quarantineRoomMedia', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/user/{userId}/media/quarantine', 'admin.media.quarantineUserMedia', 'idempotent'),
  entry('media', 'GET', '/_synapse/admin/v1/media/quarantine_changes', 'admin.media.listQuarantineChangesPage', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/media/protect/{mediaId}', 'admin.media.protectMedia', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/media/unprotect/{mediaId}', 'admin.media.unprotectMedia', 'idempotent'),
  entry('media', 'DELETE', '/_synapse/admin/v1/media/{serverName}/{mediaId}', 'admin.media.deleteMedia', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/media/delete', 'admin.media.deleteMediaBefore', 'idempotent'),
  entry('media', 'POST', '/_synapse/admin/v1/purge_media_cache', 'admin.media.purgeRemoteMediaCache', 'idempotent'),
  entry('registration-tokens', 'GET', '/_synapse/admin/v1/registration_tokens', 'admin.registrationTokens.list', 'idempotent', 'refused'),
  entry('registration-tokens', 'GET', '/_synapse/admin/v1/registration_tokens/{token}', 'admin.registrationTokens.get', 'idempotent', 'refused'),
  entry('registration-tokens', 'POST', '/_synapse/admin/v1/registration_tokens/new', 'admin.registrationTokens.create', 'rate-limit-only', 'refused'),
  entry('registration-tokens', 'PUT', '/_synapse/admin/v1/registration_tokens/{token}', 'admin.registrationTokens.update', 'idempotent', 'refused'),
  entry('registration-tokens', 'DELETE', '/_synapse/admin/v1/registration_tokens/{token}', 'admin.registrationTokens.delete', 'idempotent', 'refused'),
  entry('server-notices', 'POST', '/_synapse/admin/v1/send_server_notice', 'admin.serverNotices.send', 'rate-limit-only'),
  entry('server-notices', 'PUT', '/_synapse/admin/v1/send_server_notice/{txnId}', 'admin.serverNotices.sendWithTxnId', 'idempotent'),
  entry('statistics', 'GET', '/_synapse/admin/v1/statistics/users/media', 'admin.statistics.listUserMediaUsagePage', 'idempotent'),
  entry('statistics', 'GET', '/_synapse/admin/v1/statistics/database/rooms', 'admin.statistics.databaseRoomSizes', 'idempotent'),
]);

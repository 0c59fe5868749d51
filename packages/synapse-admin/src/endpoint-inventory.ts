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
export const COMPOSITE_CALLS: readonly string[] = Object.freeze(['withAccessToken', 'detectAuthMode', 'admin.waitForRoomDeletion', 'admin.userRedactionTask', 'admin.purgeHistoryTask', 'admin.media.listQuarantineChanges', 'admin.statistics.listUserMediaUsage']);

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
  entry('users', 'GET', '/_synapse/admin/v3/users', 'admin.listUsersPage', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/whois/{userId}', 'admin.whois', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/joined_rooms', 'admin.listJoinedRooms', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/memberships', 'admin.getMemberships', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/accountdata', 'admin.getAccountData', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/pushers', 'admin.listPushers', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/media', 'admin.listUserMedia', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/media', 'admin.listUserMediaPage', 'idempotent'),
  entry('users', 'DELETE', '/_synapse/admin/v1/users/{userId}/media', 'admin.deleteUserMedia', 'never'),
  entry('users', 'POST', '/_synapse/admin/v1/users/{userId}/shadow_ban', 'admin.shadowBanUser', 'idempotent'),
  entry('users', 'DELETE', '/_synapse/admin/v1/users/{userId}/shadow_ban', 'admin.unshadowBanUser', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/override_ratelimit', 'admin.getRateLimitOverride', 'idempotent'),
  entry('users', 'DELETE', '/_synapse/admin/v1/users/{userId}/override_ratelimit', 'admin.deleteRateLimitOverride', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/admin', 'admin.getUserAdmin', 'idempotent', 'refused'),
  entry('users', 'PUT', '/_synapse/admin/v1/users/{userId}/admin', 'admin.setUserAdmin', 'idempotent', 'refused'),
  entry('users', 'PUT', '/_synapse/admin/v1/suspend/{userId}', 'admin.setUserSuspended', 'idempotent'),
  entry('users', 'POST', '/_synapse/admin/v1/user/{userId}/redact', 'admin.redactUserEvents', 'rate-limit-only'),
  entry('users', 'GET', '/_synapse/admin/v1/user/redact_status/{redactId}', 'admin.userRedactionStatus', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/threepid/{medium}/users/{address}', 'admin.findUserByThreepid', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/auth_providers/{authProvider}/users/{externalId}', 'admin.findUserByExternalId', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/sent_invite_count', 'admin.sentInviteCount', 'idempotent'),
  entry('users', 'GET', '/_synapse/admin/v1/users/{userId}/cumulative_joined_room_count', 'admin.cumulativeJoinedRoomCount', 'idempotent'),
  entry('users', 'POST', '/_synapse/admin/v1/users/{userId}/_allow_cross_signing_replacement_without_uia', 'admin.allowCrossSigningReplacementWithoutUia', 'idempotent'),
  entry('devices', 'GET', '/_synapse/admin/v2/users/{userId}/devices', 'admin.listDevices', 'idempotent'),
  entry('devices', 'POST', '/_synapse/admin/v2/users/{userId}/delete_devices', 'admin.deleteDevices', 'idempotent'),
  entry('devices', 'GET', '/_synapse/admin/v2/users/{userId}/devices/{deviceId}', 'admin.getDevice', 'idempotent'),
  entry('devices', 'POST', '/_synapse/admin/v2/users/{userId}/devices', 'admin.createDevice', 'idempotent'),
  entry('devices', 'PUT', '/_synapse/admin/v2/users/{userId}/devices/{deviceId}', 'admin.updateDevice', 'idempotent'),
  entry('devices', 'DELETE', '/_synapse/admin/v2/users/{userId}/devices/{deviceId}', 'admin.deleteDevice', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms', 'admin.listRooms', 'idempotent'),
  entry('rooms', 'DELETE', '/_synapse/admin/v2/rooms/{roomId}', 'admin.deleteRoom', 'rate-limit-only'),
  entry('rooms', 'GET', '/_synapse/admin/v2/rooms/delete_status/{deleteId}', 'admin.roomDeleteStatus', 'idempotent'),
  entry('rooms', 'POST', '/_synapse/admin/v1/join/{roomIdOrAlias}', 'admin.joinUserToRoom', 'idempotent'),
  entry('federation', 'GET', '/_synapse/admin/v1/federation/destinations', 'admin.federation.listDestinationsPage', 'idempotent'),
  entry('federation', 'GET', '/_synapse/admin/v1/federation/destinations', 'admin.federation.listDestinations', 'idempotent'),
  entry('federation', 'GET', '/_synapse/admin/v1/federation/destinations/{destination}', 'admin.federation.getDestination', 'idempotent'),
  entry('federation', 'GET', '/_synapse/admin/v1/federation/destinations/{destination}/rooms', 'admin.federation.listDestinationRoomsPage', 'idempotent'),
  entry('federation', 'GET', '/_synapse/admin/v1/federation/destinations/{destination}/rooms', 'admin.federation.listDestinationRooms', 'idempotent'),
  entry('federation', 'POST', '/_synapse/admin/v1/federation/destinations/{destination}/reset_connection', 'admin.federation.resetConnection', 'idempotent'),
  entry('background-updates', 'GET', '/_synapse/admin/v1/background_updates/enabled', 'admin.backgroundUpdates.getEnabled', 'idempotent'),
  entry('background-updates', 'POST', '/_synapse/admin/v1/background_updates/enabled', 'admin.backgroundUpdates.setEnabled', 'idempotent'),
  entry('background-updates', 'GET', '/_synapse/admin/v1/background_updates/status', 'admin.backgroundUpdates.status', 'idempotent'),
  entry('background-updates', 'POST', '/_synapse/admin/v1/background_updates/start_job', 'admin.backgroundUpdates.startJob', 'rate-limit-only'),
  entry('experimental-features', 'GET', '/_synapse/admin/v1/experimental_features/{userId}', 'admin.experimentalFeatures.get', 'idempotent'),
  entry('experimental-features', 'PUT', '/_synapse/admin/v1/experimental_features/{userId}', 'admin.experimentalFeatures.set', 'idempotent'),
  entry('scheduled-tasks', 'GET', '/_synapse/admin/v1/scheduled_tasks', 'admin.scheduledTasks.list', 'idempotent'),
  entry('account-validity', 'POST', '/_synapse/admin/v1/account_validity/validity', 'admin.accountValidity.renew', 'rate-limit-only', 'refused'),
  entry('events', 'GET', '/_synapse/admin/v1/fetch_event/{eventId}', 'admin.events.fetch', 'idempotent'),
  entry('client-config', 'GET', '/_matrix/client/v3/user/{userId}/account_data/io.element.synapse.admin_client_config', 'admin.clientConfig.get', 'idempotent'),
  entry('client-config', 'PUT', '/_matrix/client/v3/user/{userId}/account_data/io.element.synapse.admin_client_config', 'admin.clientConfig.set', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms', 'admin.listRoomsPage', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}', 'admin.getRoom', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/members', 'admin.getRoomMembers', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/state', 'admin.getRoomState', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/messages', 'admin.listRoomMessages', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/messages', 'admin.listRoomMessagesPage', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/timestamp_to_event', 'admin.timestampToEvent', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/block', 'admin.getRoomBlockStatus', 'idempotent'),
  entry('rooms', 'PUT', '/_synapse/admin/v1/rooms/{roomId}/block', 'admin.setRoomBlocked', 'idempotent'),
  entry('rooms', 'POST', '/_synapse/admin/v1/rooms/{roomIdOrAlias}/make_room_admin', 'admin.makeRoomAdmin', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomIdOrAlias}/forward_extremities', 'admin.getForwardExtremities', 'idempotent'),
  entry('rooms', 'DELETE', '/_synapse/admin/v1/rooms/{roomIdOrAlias}/forward_extremities', 'admin.deleteForwardExtremities', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/context/{eventId}', 'admin.getEventContext', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/hierarchy', 'admin.listRoomHierarchy', 'idempotent'),
  entry('rooms', 'GET', '/_synapse/admin/v1/rooms/{roomId}/hierarchy', 'admin.listRoomHierarchyPage', 'idempotent'),
  entry('rooms', 'DELETE', '/_synapse/admin/v1/rooms/{roomId}', 'admin.deleteRoomV1', 'rate-limit-only'),
  entry('rooms', 'GET', '/_synapse/admin/v2/rooms/{roomId}/delete_status', 'admin.roomDeleteStatuses', 'idempotent'),
  entry('purge_history', 'POST', '/_synapse/admin/v1/purge_history/{roomId}', 'admin.purgeHistory', 'rate-limit-only'),
  entry('purge_history', 'GET', '/_synapse/admin/v1/purge_history_status/{purgeId}', 'admin.purgeHistoryStatus', 'idempotent'),
  entry('event_reports', 'GET', '/_synapse/admin/v1/event_reports', 'admin.eventReports.list', 'idempotent'),
  entry('event_reports', 'GET', '/_synapse/admin/v1/event_reports', 'admin.eventReports.listPage', 'idempotent'),
  entry('event_reports', 'GET', '/_synapse/admin/v1/event_reports/{reportId}', 'admin.eventReports.get', 'idempotent'),
  entry('event_reports', 'DELETE', '/_synapse/admin/v1/event_reports/{reportId}', 'admin.eventReports.delete', 'idempotent'),
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

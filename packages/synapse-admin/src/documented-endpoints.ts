import type { HttpMethod } from './synapse-transport.ts';

/** One endpoint Synapse's admin API documentation describes. */
export interface DocumentedEndpoint {
  readonly method: HttpMethod;
  /** The route, parameters in braces as in the endpoint inventory: `/_synapse/admin/v2/users/{userId}`. */
  readonly route: string;
  /** The documentation file that describes it, in the element-hq/synapse repository. */
  readonly doc: string;
}

const doc = (file: string, method: HttpMethod, route: string): DocumentedEndpoint => Object.freeze({ method, route, doc: file });

/**
 * Every endpoint documented in Synapse's docs/admin_api/*.md and docs/usage/administration/admin_api/*.md, by file,
 * for checking the client's coverage (src/documented-endpoints.test.ts). Read from the newest docs in reach (the
 * develop branch of July 2026, after 1.157; the docs of 1.163 itself were not available) and checked against the
 * servlets Synapse 1.163.2 registers. Left out: aliases the docs mention only as alternatives
 * (`GET /_matrix/client/r0/admin/whois/{userId}`, the deprecated `POST /_synapse/admin/v1/quarantine_media/{roomId}`)
 * and client-server routes they only refer to (`GET /_matrix/client/v3/login`). Parameter names are the inventory's;
 * comparisons should ignore them.
 */
export const DOCUMENTED_ENDPOINTS: readonly DocumentedEndpoint[] = Object.freeze([
  doc('docs/admin_api/account_validity.md', 'POST', '/_synapse/admin/v1/account_validity/validity'),

  doc('docs/admin_api/client_server_api_extensions.md', 'PUT', '/_matrix/client/v3/user/{userId}/account_data/io.element.synapse.admin_client_config'),

  doc('docs/admin_api/event_reports.md', 'DELETE', '/_synapse/admin/v1/event_reports/{reportId}'),
  doc('docs/admin_api/event_reports.md', 'GET', '/_synapse/admin/v1/event_reports'),
  doc('docs/admin_api/event_reports.md', 'GET', '/_synapse/admin/v1/event_reports/{reportId}'),

  doc('docs/admin_api/experimental_features.md', 'GET', '/_synapse/admin/v1/experimental_features/{userId}'),
  doc('docs/admin_api/experimental_features.md', 'PUT', '/_synapse/admin/v1/experimental_features/{userId}'),

  doc('docs/admin_api/fetch_event.md', 'GET', '/_synapse/admin/v1/fetch_event/{eventId}'),

  doc('docs/admin_api/media_admin_api.md', 'DELETE', '/_synapse/admin/v1/media/{serverName}/{mediaId}'),
  doc('docs/admin_api/media_admin_api.md', 'GET', '/_synapse/admin/v1/media/quarantine_changes'),
  doc('docs/admin_api/media_admin_api.md', 'GET', '/_synapse/admin/v1/media/{serverName}/{mediaId}'),
  doc('docs/admin_api/media_admin_api.md', 'GET', '/_synapse/admin/v1/room/{roomId}/media'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/media/delete'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/media/protect/{mediaId}'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/media/unprotect/{mediaId}'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId}'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/media/{serverName}/delete'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/purge_media_cache'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/room/{roomId}/media/quarantine'),
  doc('docs/admin_api/media_admin_api.md', 'POST', '/_synapse/admin/v1/user/{userId}/media/quarantine'),

  doc('docs/admin_api/purge_history_api.md', 'GET', '/_synapse/admin/v1/purge_history_status/{purgeId}'),
  doc('docs/admin_api/purge_history_api.md', 'POST', '/_synapse/admin/v1/purge_history/{roomId}'),
  doc('docs/admin_api/purge_history_api.md', 'POST', '/_synapse/admin/v1/purge_history/{roomId}/{eventId}'),

  doc('docs/admin_api/register_api.md', 'GET', '/_synapse/admin/v1/register'),
  doc('docs/admin_api/register_api.md', 'POST', '/_synapse/admin/v1/register'),

  doc('docs/admin_api/room_membership.md', 'POST', '/_synapse/admin/v1/join/{roomIdOrAlias}'),

  doc('docs/admin_api/rooms.md', 'DELETE', '/_synapse/admin/v1/rooms/{roomIdOrAlias}/forward_extremities'),
  doc('docs/admin_api/rooms.md', 'DELETE', '/_synapse/admin/v1/rooms/{roomId}'),
  doc('docs/admin_api/rooms.md', 'DELETE', '/_synapse/admin/v2/rooms/{roomId}'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomIdOrAlias}/forward_extremities'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/block'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/context/{eventId}'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/hierarchy'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/members'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/messages'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/state'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v1/rooms/{roomId}/timestamp_to_event'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v2/rooms/delete_status/{deleteId}'),
  doc('docs/admin_api/rooms.md', 'GET', '/_synapse/admin/v2/rooms/{roomId}/delete_status'),
  doc('docs/admin_api/rooms.md', 'POST', '/_synapse/admin/v1/rooms/{roomIdOrAlias}/make_room_admin'),
  doc('docs/admin_api/rooms.md', 'PUT', '/_synapse/admin/v1/rooms/{roomId}/block'),

  doc('docs/admin_api/scheduled_tasks.md', 'GET', '/_synapse/admin/v1/scheduled_tasks'),

  doc('docs/admin_api/server_notices.md', 'POST', '/_synapse/admin/v1/send_server_notice'),
  doc('docs/admin_api/server_notices.md', 'PUT', '/_synapse/admin/v1/send_server_notice/{txnId}'),

  doc('docs/admin_api/statistics.md', 'GET', '/_synapse/admin/v1/statistics/database/rooms'),
  doc('docs/admin_api/statistics.md', 'GET', '/_synapse/admin/v1/statistics/users/media'),

  doc('docs/admin_api/user_admin_api.md', 'DELETE', '/_synapse/admin/v1/users/{userId}/media'),
  doc('docs/admin_api/user_admin_api.md', 'DELETE', '/_synapse/admin/v1/users/{userId}/override_ratelimit'),
  doc('docs/admin_api/user_admin_api.md', 'DELETE', '/_synapse/admin/v1/users/{userId}/shadow_ban'),
  doc('docs/admin_api/user_admin_api.md', 'DELETE', '/_synapse/admin/v2/users/{userId}/devices/{deviceId}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/auth_providers/{authProvider}/users/{externalId}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/threepid/{medium}/users/{address}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/user/redact_status/{redactId}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/username_available'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/accountdata'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/admin'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/cumulative_joined_room_count'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/joined_rooms'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/media'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/memberships'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/override_ratelimit'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/pushers'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/users/{userId}/sent_invite_count'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v1/whois/{userId}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v2/users'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v2/users/{userId}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v2/users/{userId}/devices'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v2/users/{userId}/devices/{deviceId}'),
  doc('docs/admin_api/user_admin_api.md', 'GET', '/_synapse/admin/v3/users'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/deactivate/{userId}'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/reset_password/{userId}'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/user/{userId}/redact'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/users/{userId}/_allow_cross_signing_replacement_without_uia'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/users/{userId}/login'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/users/{userId}/override_ratelimit'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v1/users/{userId}/shadow_ban'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v2/users/{userId}/delete_devices'),
  doc('docs/admin_api/user_admin_api.md', 'POST', '/_synapse/admin/v2/users/{userId}/devices'),
  doc('docs/admin_api/user_admin_api.md', 'PUT', '/_synapse/admin/v1/suspend/{userId}'),
  doc('docs/admin_api/user_admin_api.md', 'PUT', '/_synapse/admin/v1/users/{userId}/admin'),
  doc('docs/admin_api/user_admin_api.md', 'PUT', '/_synapse/admin/v2/users/{userId}'),
  doc('docs/admin_api/user_admin_api.md', 'PUT', '/_synapse/admin/v2/users/{userId}/devices/{deviceId}'),

  doc('docs/admin_api/version_api.md', 'GET', '/_synapse/admin/v1/server_version'),

  doc('docs/usage/administration/admin_api/background_updates.md', 'GET', '/_synapse/admin/v1/background_updates/enabled'),
  doc('docs/usage/administration/admin_api/background_updates.md', 'GET', '/_synapse/admin/v1/background_updates/status'),
  doc('docs/usage/administration/admin_api/background_updates.md', 'POST', '/_synapse/admin/v1/background_updates/enabled'),
  doc('docs/usage/administration/admin_api/background_updates.md', 'POST', '/_synapse/admin/v1/background_updates/start_job'),

  doc('docs/usage/administration/admin_api/federation.md', 'GET', '/_synapse/admin/v1/federation/destinations'),
  doc('docs/usage/administration/admin_api/federation.md', 'GET', '/_synapse/admin/v1/federation/destinations/{destination}'),
  doc('docs/usage/administration/admin_api/federation.md', 'GET', '/_synapse/admin/v1/federation/destinations/{destination}/rooms'),
  doc('docs/usage/administration/admin_api/federation.md', 'POST', '/_synapse/admin/v1/federation/destinations/{destination}/reset_connection'),

  doc('docs/usage/administration/admin_api/registration_tokens.md', 'DELETE', '/_synapse/admin/v1/registration_tokens/{token}'),
  doc('docs/usage/administration/admin_api/registration_tokens.md', 'GET', '/_synapse/admin/v1/registration_tokens'),
  doc('docs/usage/administration/admin_api/registration_tokens.md', 'GET', '/_synapse/admin/v1/registration_tokens/{token}'),
  doc('docs/usage/administration/admin_api/registration_tokens.md', 'POST', '/_synapse/admin/v1/registration_tokens/new'),
  doc('docs/usage/administration/admin_api/registration_tokens.md', 'PUT', '/_synapse/admin/v1/registration_tokens/{token}'),
]);

export { createSynapseClient, SynapseAdminApi, SynapseClient, SynapseRoomsApi, type SynapseClientOptions } from './synapse-client.ts';
export { SynapseClientError, isSynapseClientError, type SynapseErrorCode } from './synapse-client-error.ts';
export { SynapseApiError, parseRetryAfterHeader } from './synapse-api-error.ts';
export { SynapseNetworkError } from './synapse-network-error.ts';
export { AuthModeUnsupportedError, detectAuthMode, type NativeCapability } from './auth-mode.ts';
export type { AuthMode, AuthModeEvidence, AuthModeReport } from './auth-mode-report.ts';
export { computeRegistrationMac, type RegistrationMacInput, type RegisterWithSharedSecretOptions, type RegisterWithSharedSecretResult } from './shared-secret-registration.ts';
export { mapConcurrent, type MapConcurrentResult } from './map-concurrent.ts';
export { redactSecrets, sanitizeCause, REDACTED } from './redact-secrets.ts';
export { resolveRetryPolicy, retryDelayMs, type Idempotency, type RetryOptions, type RetryPolicy } from './retry-policy.ts';
export { SynapseTransport, type HttpMethod, type SynapseCall, type SynapseTransportOptions } from './synapse-transport.ts';
export type { SynapseLogger, SynapseRequestEvent } from './request-log-event.ts';
export type { PasswordLoginOptions, Session } from './password-login.ts';
export type { Whoami } from './whoami.ts';
export type {
  AdminUser,
  ListedUser,
  ListUsersOptions,
  LoginAsOptions,
  RateLimitOverride,
  ResetPasswordOptions,
  UserFields,
  UsernameAvailability,
} from './admin-users.ts';
export type { Device } from './admin-devices.ts';
export type { DeleteRoomOptions, ListedRoom, ListRoomsOptions, RoomDeleteStatus, WaitForRoomDeletionOptions } from './admin-rooms.ts';
export type { CreateRoomOptions, RoomEvent, SendTextOptions } from './client-rooms.ts';
export { ENDPOINTS, COMPOSITE_CALLS, type EndpointEntry, type DelegatedAuthBehaviour } from './endpoint-inventory.ts';
export { backgroundTask, type BackgroundTask, type BackgroundTaskSpec, type WaitOptions } from './background-task.ts';
export { SynapseFederationAdminApi } from './admin-federation-api.ts';
export type { Destination, DestinationRoom, FederationPage, ListDestinationRoomsOptions, ListDestinationsOptions } from './admin-federation.ts';
export { SynapseBackgroundUpdatesAdminApi } from './admin-background-updates-api.ts';
export type { BackgroundJob, BackgroundUpdate, BackgroundUpdatesStatus } from './admin-background-updates.ts';
export { SynapseExperimentalFeaturesAdminApi } from './admin-experimental-features-api.ts';
export type { ExperimentalFeatureId, ExperimentalFeatures } from './admin-experimental-features.ts';
export { SynapseScheduledTasksAdminApi } from './admin-scheduled-tasks-api.ts';
export type { ScheduledTask, ScheduledTaskFilters, ScheduledTaskStatus } from './admin-scheduled-tasks.ts';
export { SynapseAccountValidityAdminApi } from './admin-account-validity-api.ts';
export type { RenewAccountValidityOptions } from './admin-account-validity.ts';
export { SynapseEventsAdminApi } from './admin-events-api.ts';
export type { FetchedEvent } from './admin-events.ts';
export { SynapseClientConfigAdminApi } from './admin-client-config-api.ts';
export type { AdminClientConfig, StoredAdminClientConfig } from './admin-client-config.ts';
export type {
  AccountData,
  DeleteUserMediaOptions,
  ListUserMediaOptions,
  Page,
  Pusher,
  RedactUserEventsOptions,
  UserMedia,
  UserMediaOrder,
  UserRedactionStatus,
  Whois,
} from './admin-users.ts';
export type {
  AdminRoomEvent,
  EventContext,
  ForwardExtremity,
  HierarchyRoom,
  RoomBlockStatus,
  RoomDetails,
  RoomHierarchyOptions,
  RoomHierarchyPage,
  RoomMessagesOptions,
  RoomMessagesPage,
  RoomShutdownResult,
  RoomsPage,
} from './admin-rooms.ts';
export type { PurgeHistoryOptions, PurgeHistoryStatus } from './admin-purge-history.ts';
export { SynapseEventReportsAdminApi } from './admin-event-reports-api.ts';
export type { EventReport, EventReportsPage, ListedEventReport, ListEventReportsOptions } from './admin-event-reports.ts';
export { SynapseMediaApi } from './client-media-api.ts';
export type { UploadedMedia, UploadMediaOptions } from './client-media.ts';
export { SynapseMediaAdminApi } from './admin-media-api.ts';
export type { DeletedMedia, DeleteMediaBeforeOptions, MediaInfo, PurgedRemoteMedia, QuarantineChange, QuarantineChangesPage, RoomMedia } from './admin-media.ts';
export { SynapseRegistrationTokensAdminApi } from './admin-registration-tokens-api.ts';
export type { CreateRegistrationTokenOptions, ListRegistrationTokensOptions, RegistrationToken, UpdateRegistrationTokenOptions } from './admin-registration-tokens.ts';
export { SynapseServerNoticesAdminApi } from './admin-server-notices-api.ts';
export type { SentServerNotice, ServerNoticeContent, ServerNoticeOptions, ServerNoticeTxnOptions } from './admin-server-notices.ts';
export { SynapseStatisticsAdminApi } from './admin-statistics-api.ts';
export type { RoomDatabaseSize, UserMediaUsage, UserMediaUsageOptions, UserMediaUsagePage } from './admin-statistics.ts';

// The public API of reset-core, by concept. Internals (journal migrations, step executors, canonical JSON, token
// digests, the admin-token refresher) stay inside the package.

// errors and progress
export { ResetError, isResetError, type ResetErrorCode } from './reset-error.ts';
export { describeProgress, type ProgressEvent, type ProgressListener } from './progress.ts';
export { newPlanId, newRunId } from './support/ids.ts';
export { SingleFlight } from './support/single-flight.ts';
export { databaseUnavailable } from './support/database-unavailable.ts';

// config
export {
  CONFIG_FILE_NAME,
  loadResetConfig,
  parseResetConfig,
  resolveEnvironment,
  type AdminTokenTarget,
  type AppDatabaseTarget,
  type ConfigOrigin,
  type EnvironmentConfig,
  type HomeserverConfigSource,
  type KubernetesTarget,
  type LoadResetConfigOptions,
  type ResetConfig,
  type ServiceConfig,
  type ServiceScope,
  type ServiceTokenConfig,
  type SynapseDatabaseTarget,
  type SynapseTarget,
} from './config/reset-config.ts';
export { configTemplate, type ConfigTemplateOptions } from './config/config-template.ts';
export { checkConfigReference, type ConfigReferenceCheck } from './config/config-secret-reference.ts';

// connection
export {
  connectAppDatabase,
  connectEnvironment,
  openAppDatabase,
  type AppDatabaseConnection,
  type ConnectEnvironmentOptions,
  type EnvironmentConnection,
  type SynapseSession,
} from './connection/connect-environment.ts';
export {
  connectSynapseDatabase,
  resolveSynapseDatabase,
  type SynapseDatabaseAccess,
  type SynapseDatabaseConnectOptions,
  type SynapseDatabaseConnection,
  type SynapseDatabaseDependencies,
  type SynapseDatabaseEndpoint,
} from './connection/connect-synapse-database.ts';
export { ADMIN_TOKEN_REREAD_COOLDOWN_MS, type AdminTokenEvent, type AdminTokenRereadTrigger } from './connection/admin-token-refresh.ts';

// observe
export { observe, type KubernetesObservation, type Observation, type ObserveDependencies, type SecretTargetObservation } from './observe/observe.ts';
export { observeHomeserverStorage, storageFromHomeserverYaml, type HomeserverReadOptions, type SynapseStorage } from './observe/observe-homeserver.ts';
export { observeSynapseDatabase, type SynapseDatabaseObservation } from './observe/observe-synapse-database.ts';

// doctor
export {
  doctor,
  recommend,
  type ClassCounts,
  type CrossCheckReport,
  type DoctorAction,
  type DoctorDependencies,
  type DoctorFinding,
  type DoctorOptions,
  type DoctorProgress,
  type DoctorRecommendation,
  type DoctorReport,
  type DoctorStorageReport,
  type DoctorTarget,
  type SchemaDoctorReport,
} from './doctor/doctor.ts';
export { chooseEvidence, type DoctorEvidence, type EvidenceChoice, type EvidenceRequest } from './doctor/doctor-evidence.ts';
export { classifyAgainstDatabase, synapseSchemaSupport, SUPPORTED_SCHEMA_VERSIONS, type EvidenceRow, type EvidenceVerdict, type SchemaSupport } from './doctor/database-evidence.ts';
export { CREDENTIAL_CLASSES, classifyDeadToken, classifyWhoami, type CredentialClass, type WhoamiVerdict } from './doctor/token-classifier.ts';

// plans
export { PLAN_VERSION, type Plan, type PlanMode, type PlanObserved, type PlanStep } from './plan/plan-model.ts';
export { STEP_KINDS, type StepKind } from './steps/step-kinds.ts';
export { freezePlan, planChecksum } from './plan/plan-freeze.ts';
export { parsePlan, readPlanFile, serializePlan, writePlanFile } from './plan/plan-file.ts';
export { diffObserved, observePlanState, type ObservedChange } from './plan/plan-freshness.ts';
export { buildPlan, planEnvironment, type BuildPlanOptions } from './plan/plan-build.ts';
export type { DatabaseBackupChoice } from './steps/synapse-database-target.ts';
export { openPlanStore, type PlanStore, type StoredPlan } from './journal/plan-store.ts';

// runs
export type { DatabaseBackupRequest, RunConnection, StepDetail } from './steps/step-definition.ts';
export type { RunOptions, RunResult, StepHook } from './run/run-steps.ts';
export { applyPlan, type ApplyOptions, type ConfirmApply } from './run/apply.ts';
export { resumeRun } from './run/resume.ts';
export { rollbackRun, type ConfirmRollback, type RollbackOptions, type RollbackOutcome, type RollbackResult, type RollbackStepResult } from './run/rollback.ts';
export { pruneBackups, type PruneOptions, type PruneResult, type PrunedRun } from './run/prune.ts';
export {
  backupDatabaseName,
  createDatabaseLike,
  databaseRights,
  describeDatabase,
  dropDatabase,
  listDatabaseBackups,
  renameDatabase,
  requireNoSessions,
  sessionsOn,
  swapRefusal,
  terminateSessions,
  type DatabaseBackup,
  type DatabaseRights,
  type DatabaseSession,
  type DatabaseShape,
} from './synapse-database/database-swap.ts';
export { dumpDatabase, emptyDatabase, restoreDatabase, type DumpTarget } from './synapse-database/database-dump.ts';
export { runStatus, runStatusPage, type RunStatus } from './run/status.ts';
export { withEnvironmentLock, type EnvironmentLockOptions } from './run/environment-lock.ts';
export { defaultHolder, holderIsGone } from './run/lock-holder.ts';
export { openJournal, type Journal, type JournalRun, type JournalRunPage, type JournalStep, type RunState, type StepState } from './journal/run-journal.ts';
export { openRollbackJournal, type JournalRollback, type JournalRollbackStep, type RollbackJournal, type RollbackState, type RollbackStepState } from './journal/rollback-journal.ts';

// verify
export {
  VERIFY_CHECKS,
  VERIFY_CHECK_TITLES,
  VERIFY_USER_PREFIX,
  verify,
  type VerifyArtifacts,
  type VerifyCheck,
  type VerifyCheckName,
  type VerifyCheckStatus,
  type VerifyConnection,
  type VerifyFailureCode,
  type VerifyOptions,
  type VerifyProgress,
  type VerifyReport,
} from './verify/verify.ts';

// credentials
export {
  credsClear,
  credsInventory,
  credsRestore,
  credsSnapshot,
  type ConfirmDestructive,
  type CredsClearOptions,
  type CredsConnection,
  type CredsRestoreOptions,
} from './creds/creds-operations.ts';
export {
  DEFAULT_ENSURE_LOCK_TIMEOUT_MS,
  DEFAULT_TOKEN_LIFETIME_MS,
  EnsureCredentialsError,
  ensureCredentials,
  type CredentialSource,
  type EnsureCredentialsDeps,
  type EnsureCredentialsEvent,
  type EnsureCredentialsFailure,
  type EnsureCredentialsOptions,
  type EnsuredCredentials,
} from './ensure/ensure-credentials.ts';

// local bootstrap, RBAC, the HTTP service's helpers
export { LOCAL_ENV_KEYS, localBootstrap, type LocalBootstrapOptions, type LocalBootstrapResult } from './bootstrap/local-bootstrap.ts';
export {
  DEFAULT_RBAC_NAME,
  fullResetOperations,
  rbacManifests,
  type RbacManifests,
  type RbacOptions,
  type RoleBindingManifest,
  type RoleManifest,
  type ServiceAccountManifest,
} from './rbac/rbac.ts';
export {
  SERVICE_SCOPES,
  SERVICE_TOKEN_PATTERN,
  SERVICE_TOKEN_PREFIX,
  generateServiceToken,
  hashServiceToken,
  isServiceScope,
  serviceTokenConfigSnippet,
  type GeneratedServiceToken,
} from './service/service-tokens.ts';
export { checkDependencies, type CheckDependenciesOptions, type DependencyCheck } from './service/service-readiness.ts';
export { openSessionRevocationStore, type SessionRevocationStore } from './service/session-revocations.ts';

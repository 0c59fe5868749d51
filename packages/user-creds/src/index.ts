export { UserCredsError, isUserCredsError, type UserCredsErrorCode, type UserCredsErrorOptions } from './user-creds-error.ts';
export {
  defineLayout,
  runbookLayout,
  openmeetLayout,
  renderLocalpart,
  templatePlaceholders,
  type CredentialLayout,
  type LayoutDefinition,
  type SchemaSelector,
  type JsonbKeyRef,
  type RoomColumnRef,
} from './credential-layout.ts';
export { discoverLayout, type Discovery, type DiscoveredSchema, type ColumnPresence, type RoomColumnPresence } from './discover-layout.ts';
export { newRunId, type UserCredsContext, type AffectedColumn } from './affected-columns.ts';
export { DEFAULT_OWN_SCHEMA, migrateOwnSchema, ownSchemaMigrations, ownSchemaMigrationProvider } from './own-schema-migrations.ts';
export { credentialInventory, liveChecksums, type SchemaInventory } from './credential-inventory.ts';
export { streamCredentials, type StoredCredential, type StreamCredentialsOptions } from './stream-credentials.ts';
export {
  snapshotCredentials,
  listSnapshots,
  dropSnapshot,
  type SnapshotOptions,
  type SnapshotResult,
  type SchemaSnapshot,
  type UserSelection,
} from './snapshot-credentials.ts';
export { DEFAULT_BATCH_SIZE, type BatchOptions } from './batch-transaction.ts';
export { clearCredentials, clearUsers, type ClearOptions, type ClearProgress, type ClearResult, type SchemaClearResult } from './clear-credentials.ts';
export { restoreSnapshot, type RestoreOptions, type RestoreResult, type SchemaRestoreResult } from './restore-snapshot.ts';
export { writeCredentials, readCredentials, type WriteCredentialsOptions, type WriteCredentialsResult } from './write-credentials.ts';
export { createUserCreds, type UserCreds, type UserCredsOptions } from './user-creds.ts';
export { postgresKysely } from './postgres-kysely.ts';
export type { AnyKysely, AnyTransaction } from './any-kysely.ts';

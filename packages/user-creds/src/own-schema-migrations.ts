import type { AnyKysely } from './any-kysely.ts';
import { sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { UserCredsError } from './user-creds-error.ts';

/**
 * The schema this package keeps its own state in (snapshots, progress), unless told otherwise.
 *
 * @example
 * ```ts
 * await migrateOwnSchema(db, { ownSchema: DEFAULT_OWN_SCHEMA });
 * ```
 */
export const DEFAULT_OWN_SCHEMA = 'matrix_reset';

/**
 * The migrations of our own schema, as code. They create tables in `ownSchema` only: the app's tables are never
 * altered.
 *
 * @example
 * ```ts
 * const migrations = ownSchemaMigrations('matrix_reset');
 * Object.keys(migrations); // ['0001_snapshots_and_progress']
 * ```
 */
export function ownSchemaMigrations(ownSchema: string): Record<string, Migration> {
  return {
    '0001_snapshots_and_progress': {
      async up(db: AnyKysely) {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db);
        await sql`
          CREATE TABLE ${sql.id(ownSchema, 'snapshot')} (
            run_id text NOT NULL,
            source_schema text NOT NULL,
            source_table text NOT NULL,
            backup_table text NOT NULL,
            key_type text NOT NULL,
            columns jsonb NOT NULL,
            row_count bigint NOT NULL,
            checksum text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (run_id, source_schema)
          )`.execute(db);
        await sql`
          CREATE TABLE ${sql.id(ownSchema, 'clear_progress')} (
            run_id text NOT NULL,
            source_schema text NOT NULL,
            last_key text,
            batches_done integer NOT NULL DEFAULT 0,
            rows_cleared bigint NOT NULL DEFAULT 0,
            rows_kept bigint NOT NULL DEFAULT 0,
            finished boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (run_id, source_schema)
          )`.execute(db);
      },
      async down(db: AnyKysely) {
        await sql`DROP TABLE ${sql.id(ownSchema, 'clear_progress')}`.execute(db);
        await sql`DROP TABLE ${sql.id(ownSchema, 'snapshot')}`.execute(db);
      },
    },
  };
}

/**
 * A Kysely `MigrationProvider` over {@link ownSchemaMigrations}.
 *
 * @example
 * ```ts
 * import { Migrator } from 'kysely/migration';
 *
 * const migrator = new Migrator({ db, provider: ownSchemaMigrationProvider('matrix_reset'), migrationTableSchema: 'matrix_reset' });
 * ```
 */
export function ownSchemaMigrationProvider(ownSchema: string): MigrationProvider {
  return { getMigrations: async () => ownSchemaMigrations(ownSchema) };
}

/**
 * Brings our own schema to the latest migration (Kysely's `Migrator`, its bookkeeping tables in the same schema).
 * Safe to run concurrently and repeatedly.
 *
 * @example
 * ```ts
 * await migrateOwnSchema(db, { ownSchema: 'matrix_reset' });
 * ```
 */
export async function migrateOwnSchema(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<void> {
  const ownSchema = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  const migrator = new Migrator({
    db,
    provider: ownSchemaMigrationProvider(ownSchema),
    migrationTableSchema: ownSchema,
    migrationTableName: 'kysely_migration',
    migrationLockTableName: 'kysely_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'bookkeeping';
    throw new UserCredsError({
      code: 'migration_failed',
      message: `Migrating schema ${ownSchema} failed at ${failed}: ${error instanceof Error ? error.message : String(error)}`,
      nextSteps: [`Check that the database user may CREATE in the database and owns schema ${ownSchema} if it exists.`],
      cause: error instanceof Error ? error : undefined,
    });
  }
}

import { sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { DEFAULT_OWN_SCHEMA, type AnyKysely } from '@matrix-reset/user-creds';
import { ResetError } from '../reset-error.ts';

/**
 * The journal's migrations, as code: tables `run` and `run_step` in our own schema (user-creds' snapshots live
 * there too, migrated separately). The app's tables are never touched.
 *
 * @example
 * Object.keys(journalMigrations('matrix_reset')); // ['0001_runs_and_steps']
 */
export function journalMigrations(ownSchema: string): Record<string, Migration> {
  return {
    '0001_runs_and_steps': {
      async up(db: AnyKysely) {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db);
        await sql`
          CREATE TABLE ${sql.id(ownSchema, 'run')} (
            id text PRIMARY KEY,
            plan_id text NOT NULL,
            plan_checksum text NOT NULL,
            plan jsonb NOT NULL,
            environment text NOT NULL,
            mode text NOT NULL,
            state text NOT NULL CHECK (state IN ('running', 'finished', 'failed')),
            holder text NOT NULL,
            error jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
          )`.execute(db);
        await sql`CREATE INDEX run_environment_idx ON ${sql.id(ownSchema, 'run')} (environment, created_at DESC)`.execute(db);
        await sql`
          CREATE TABLE ${sql.id(ownSchema, 'run_step')} (
            run_id text NOT NULL REFERENCES ${sql.id(ownSchema, 'run')} (id),
            step_id text NOT NULL,
            position integer NOT NULL,
            kind text NOT NULL,
            state text NOT NULL CHECK (state IN ('started', 'finished', 'failed')),
            attempts integer NOT NULL DEFAULT 1,
            started_at timestamptz NOT NULL,
            finished_at timestamptz,
            detail jsonb,
            PRIMARY KEY (run_id, step_id)
          )`.execute(db);
      },
      async down(db: AnyKysely) {
        await sql`DROP TABLE ${sql.id(ownSchema, 'run_step')}`.execute(db);
        await sql`DROP TABLE ${sql.id(ownSchema, 'run')}`.execute(db);
      },
    },
  };
}

/** A Kysely `MigrationProvider` over {@link journalMigrations}. */
export function journalMigrationProvider(ownSchema: string): MigrationProvider {
  return { getMigrations: async () => journalMigrations(ownSchema) };
}

/**
 * Brings the journal tables to the latest migration. Its own bookkeeping tables (`journal_migration`,
 * `journal_migration_lock`) keep it apart from user-creds' migrations in the same schema. Safe to repeat.
 *
 * @example
 * await migrateJournal(db);
 */
export async function migrateJournal(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<void> {
  const ownSchema = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  await migrateOwnTables(db, { ownSchema, what: 'the run journal', tableName: 'journal_migration', provider: journalMigrationProvider(ownSchema) });
}

/**
 * Runs one of our own migration sets in our own schema, each set with its own bookkeeping tables (`<tableName>`,
 * `<tableName>_lock`) so the sets never see each other's migrations. Never touches the app's tables.
 *
 * @example
 * await migrateOwnTables(db, { ownSchema: 'matrix_reset', what: 'the rollback journal', tableName: 'rollback_migration', provider });
 */
export async function migrateOwnTables(
  db: AnyKysely,
  options: { ownSchema: string; what: string; tableName: string; provider: MigrationProvider },
): Promise<void> {
  const { ownSchema } = options;
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db).catch(() => undefined);
  const migrator = new Migrator({
    db,
    provider: options.provider,
    migrationTableSchema: ownSchema,
    migrationTableName: options.tableName,
    migrationLockTableName: `${options.tableName}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'bookkeeping';
    throw new ResetError('step_failed', `Migrating ${options.what} in schema ${ownSchema} failed at ${failed}: ${error instanceof Error ? error.message : String(error)}`, {
      nextSteps: [`Check that the database user may CREATE in the database and owns schema ${ownSchema} if it exists.`],
      cause: error,
    });
  }
}

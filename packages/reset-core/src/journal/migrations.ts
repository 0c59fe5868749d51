import { sql } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { DEFAULT_OWN_SCHEMA, type AnyKysely } from '@matrix-reset/user-creds';
import { ResetError } from '../reset-error.ts';
import { databaseUnavailable } from '../support/database-unavailable.ts';

/*
 * The one migration set of matrix-reset's own tables in our own schema (default `matrix_reset`): the run journal
 * (`run`, `run_step`), the rollback journal (`rollback`, `rollback_step`, `repair_write`), the plan store (`plan`) and
 * the service's ended sessions (`session_revocation`),
 * with one bookkeeping table (`journal_migration`, `journal_migration_lock`). The app's tables are never touched;
 * user-creds' snapshots live in the same schema under that library's own migrations.
 *
 * Until 0.1 the rollback journal and the plan store had migration sets of their own; their tables are created with
 * IF NOT EXISTS here, so a database made by that version adopts this set as it is, and their bookkeeping tables go.
 */
function ownTableMigrations(ownSchema: string): Record<string, Migration> {
  const id = (name: string) => sql.id(ownSchema, name);
  return {
    '0001_runs_and_steps': {
      async up(db: AnyKysely) {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db);
        await sql`
          CREATE TABLE ${id('run')} (
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
        await sql`CREATE INDEX run_environment_idx ON ${id('run')} (environment, created_at DESC)`.execute(db);
        await sql`
          CREATE TABLE ${id('run_step')} (
            run_id text NOT NULL REFERENCES ${id('run')} (id),
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
    },
    '0002_rollbacks_and_repair_writes': {
      async up(db: AnyKysely) {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db);
        await sql`
          CREATE TABLE IF NOT EXISTS ${id('rollback')} (
            run_id text PRIMARY KEY,
            state text NOT NULL CHECK (state IN ('running', 'rolled-back', 'rollback-failed')),
            holder text NOT NULL,
            error jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
          )`.execute(db);
        await sql`
          CREATE TABLE IF NOT EXISTS ${id('rollback_step')} (
            run_id text NOT NULL REFERENCES ${id('rollback')} (run_id),
            step_id text NOT NULL,
            kind text NOT NULL,
            state text NOT NULL CHECK (state IN ('started', 'finished', 'failed')),
            attempts integer NOT NULL DEFAULT 1,
            started_at timestamptz NOT NULL,
            finished_at timestamptz,
            detail jsonb,
            PRIMARY KEY (run_id, step_id)
          )`.execute(db);
        await sql`
          CREATE TABLE IF NOT EXISTS ${id('repair_write')} (
            run_id text NOT NULL,
            source_schema text NOT NULL,
            row_key text NOT NULL,
            token_sha256 text NOT NULL,
            written_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (run_id, source_schema, row_key)
          )`.execute(db);
      },
    },
    '0003_plans': {
      async up(db: AnyKysely) {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db);
        await sql`
          CREATE TABLE IF NOT EXISTS ${sql.id(ownSchema, 'plan')} (
            id text PRIMARY KEY,
            environment text NOT NULL,
            checksum text NOT NULL,
            body jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NOT NULL
          )`.execute(db);
        await sql`CREATE INDEX IF NOT EXISTS plan_environment_idx ON ${sql.id(ownSchema, 'plan')} (environment, created_at DESC)`.execute(db);
      },
    },
    '0004_one_migration_set': {
      async up(db: AnyKysely) {
        for (const table of ['rollback_migration', 'rollback_migration_lock', 'plan_migration', 'plan_migration_lock']) {
          await sql`DROP TABLE IF EXISTS ${id(table)}`.execute(db);
        }
      },
    },
    '0005_session_revocations': {
      async up(db: AnyKysely) {
        // The HTTP service's browser sessions ended by logout before they expire: every instance checks a session here.
        await sql`
          CREATE TABLE ${id('session_revocation')} (
            session_id text PRIMARY KEY,
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz NOT NULL DEFAULT now()
          )`.execute(db);
        await sql`CREATE INDEX session_revocation_expires_idx ON ${id('session_revocation')} (expires_at)`.execute(db);
      },
    },
  };
}

/** Schemas this process brought to the latest migration, per database: migrating once is enough. */
const migrated = new WeakMap<AnyKysely, Map<string, Promise<void>>>();

/**
 * Brings matrix-reset's own tables to the latest migration, once per database and schema in a process (safe to
 * repeat, and to run from several processes at once: Kysely's migration lock serialises them). Every store of ours
 * (run journal, rollback journal, plan store) calls it before its first query.
 *
 * @example
 * await migrateOwnTables(db);
 */
export function migrateOwnTables(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<void> {
  const ownSchema = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  let schemas = migrated.get(db);
  if (schemas === undefined) migrated.set(db, (schemas = new Map()));
  let pending = schemas.get(ownSchema);
  if (pending === undefined) {
    pending = migrate(db, ownSchema);
    schemas.set(ownSchema, pending);
    // A failure is not remembered: the next call tries again (the cause may be fixed by then).
    pending.catch(() => schemas.delete(ownSchema));
  }
  return pending;
}

async function migrate(db: AnyKysely, ownSchema: string): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ownSchema)}`.execute(db).catch(() => undefined);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ownTableMigrations(ownSchema) },
    migrationTableSchema: ownSchema,
    migrationTableName: 'journal_migration',
    migrationLockTableName: 'journal_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const unavailable = databaseUnavailable(error);
    if (unavailable !== undefined) {
      // Postgres is not there (down, unreachable, not accepting connections): an outage to wait out, not a permission
      // to grant. The driver's message names the host and port: only its code goes into ours.
      throw new ResetError('database_unavailable', `The app database is unavailable (${unavailable}): matrix-reset could not reach it to prepare its tables in schema ${ownSchema}`, {
        nextSteps: ["Check that Postgres is up, reachable and accepting connections at the environment's appDatabase.url, then try again."],
        cause: error,
      });
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'bookkeeping';
    throw new ResetError('step_failed', `Migrating matrix-reset's tables in schema ${ownSchema} failed at ${failed}: ${error instanceof Error ? error.message : String(error)}`, {
      nextSteps: [`Check that the database user may CREATE in the database and owns schema ${ownSchema} if it exists.`],
      cause: error,
    });
  }
}

import type { AnyKysely } from './any-kysely.ts';
import type { UserCredsContext } from './affected-columns.ts';
import { clearCredentials, clearUsers, type ClearOptions, type ClearResult } from './clear-credentials.ts';
import type { CredentialLayout } from './credential-layout.ts';
import { credentialInventory, liveChecksums, type SchemaInventory } from './credential-inventory.ts';
import { discoverLayout, type Discovery } from './discover-layout.ts';
import { DEFAULT_OWN_SCHEMA, migrateOwnSchema } from './own-schema-migrations.ts';
import { restoreSnapshot, type RestoreOptions, type RestoreResult } from './restore-snapshot.ts';
import { dropSnapshot, listSnapshots, snapshotCredentials, type SchemaSnapshot, type SnapshotOptions, type SnapshotResult, type UserSelection } from './snapshot-credentials.ts';
import { streamCredentials, type StoredCredential, type StreamCredentialsOptions } from './stream-credentials.ts';
import { readCredentials, writeCredentials, type WriteCredentialsOptions, type WriteCredentialsResult } from './write-credentials.ts';

export interface UserCredsOptions {
  /** Any Kysely instance on the app's Postgres (`new Kysely({ dialect: new PostgresDialect({ pool }) })`). */
  db: AnyKysely;
  layout: CredentialLayout;
  /** Where snapshots and progress live (default `matrix_reset`); created by the migrations. */
  ownSchema?: string;
}

/** Every operation of this package, bound to one database, layout and own schema. */
export interface UserCreds {
  readonly layout: CredentialLayout;
  readonly ownSchema: string;
  /** Reads the catalog: schemas, tables, present/missing columns, row counts. Writes nothing. */
  discover(): Promise<Discovery>;
  inventory(): Promise<SchemaInventory[]>;
  stream(options?: StreamCredentialsOptions): AsyncGenerator<StoredCredential>;
  liveChecksums(): Promise<Record<string, string>>;
  /** Runs our own schema's migrations (the other write operations do it on first use). */
  migrate(): Promise<void>;
  snapshot(options: SnapshotOptions): Promise<SnapshotResult>;
  listSnapshots(runId: string): Promise<SchemaSnapshot[]>;
  dropSnapshot(runId: string): Promise<number>;
  clear(options: ClearOptions): Promise<ClearResult>;
  clearUsers(options: ClearOptions & { select: UserSelection }): Promise<ClearResult>;
  restore(options: RestoreOptions): Promise<RestoreResult>;
  read(options: { schema: string; key: string | number }): Promise<StoredCredential | undefined>;
  write(options: WriteCredentialsOptions): Promise<WriteCredentialsResult>;
}

/**
 * Binds the operations to a database, a layout and our own schema. Migrations run once, on the first operation
 * that needs our schema.
 *
 * @example
 * ```ts
 * const db = postgresKysely({ connectionString: 'postgres://app@127.0.0.1:5432/app' });
 * const creds = createUserCreds({ db, layout: openmeetLayout() });
 * console.error((await creds.discover()).schemas.map((s) => `${s.schema}: ${s.problems.join('; ') || 'ok'}`));
 * await creds.snapshot({ runId: 'r1' });
 * await creds.clear({ runId: 'r1' });
 * ```
 */
export function createUserCreds(options: UserCredsOptions): UserCreds {
  const ctx: UserCredsContext = Object.freeze({ db: options.db, layout: options.layout, ownSchema: options.ownSchema ?? DEFAULT_OWN_SCHEMA });
  let migrated: Promise<void> | undefined;
  const migrate = () => {
    migrated ??= migrateOwnSchema(ctx.db, { ownSchema: ctx.ownSchema }).catch((error: unknown) => {
      migrated = undefined;
      throw error;
    });
    return migrated;
  };
  const after = <A, R>(fn: (c: UserCredsContext, a: A) => Promise<R>) => async (a: A) => {
    await migrate();
    return fn(ctx, a);
  };
  return Object.freeze({
    layout: ctx.layout,
    ownSchema: ctx.ownSchema,
    discover: () => discoverLayout(ctx.db, ctx.layout),
    inventory: () => credentialInventory(ctx),
    stream: (streamOptions?: StreamCredentialsOptions) => streamCredentials(ctx, streamOptions),
    liveChecksums: () => liveChecksums(ctx),
    migrate,
    snapshot: after(snapshotCredentials),
    listSnapshots: after(listSnapshots),
    dropSnapshot: after(dropSnapshot),
    clear: after(clearCredentials),
    clearUsers: after(clearUsers),
    restore: after(restoreSnapshot),
    read: (readOptions: { schema: string; key: string | number }) => readCredentials(ctx, readOptions),
    write: (writeOptions: WriteCredentialsOptions) => writeCredentials(ctx, writeOptions),
  });
}

import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '@matrix-reset/sandbox';
import { postgresKysely, type AnyKysely } from '@matrix-reset/user-creds';
import { sql } from 'kysely';

/** A database of the benchmark's own, and how to drop it (and stop the sandbox Postgres when one was started). */
export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates a fresh database on the Postgres named by `serverUrl` or `DATABASE_URL` (a running sandbox), or on a
 * sandbox Postgres started for the benchmark; `drop()` removes it (and stops that sandbox).
 *
 * @example
 * const database = await benchDatabase('mr_bench_user_creds');
 * try { ... } finally { await database.drop(); }
 */
export async function benchDatabase(prefix: string, options: { serverUrl?: string } = {}): Promise<BenchDatabase> {
  let sandbox: Sandbox | undefined;
  let url = options.serverUrl ?? process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('bench: no DATABASE_URL in the environment, starting a sandbox Postgres\n');
    sandbox = await startSandbox({ services: ['postgres'] });
    url = sandbox.env.DATABASE_URL as string;
  }
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin: AnyKysely = postgresKysely({ connectionString: withDatabase(url, 'postgres'), max: 1 });
  try {
    await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin);
  } finally {
    await admin.destroy();
  }
  return {
    url: withDatabase(url, name),
    name,
    drop: async () => {
      const again: AnyKysely = postgresKysely({ connectionString: withDatabase(url, 'postgres'), max: 1 });
      try {
        await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(again);
      } finally {
        await again.destroy();
        await sandbox?.stop();
      }
    },
  };
}

import { join } from 'node:path';
import { postgresUrl, type PostgresService } from './postgres-provider.ts';
import type { SynapsePostgresDatabase } from './sandbox-types.ts';
import { readSecretFile, writeSecretFile } from './secret-file.ts';

/** The suffix of the `synapse-postgres` database and of the role that owns it (after the sandbox's prefix). */
export const SYNAPSE_POSTGRES_SUFFIX = '_synapse_postgres';

/**
 * Makes the database of the `synapse-postgres` service on the sandbox's Postgres: a login role with a fresh random
 * password (written to `<dir>/database-password`, 0600, and handed to psql on stdin only) and an empty database it
 * owns, both `<prefix>_synapse_postgres`, UTF8 with C collation from template0. `postgres.stop()` drops both.
 *
 * @example
 * const database = await createSynapsePostgresDatabase(postgres, '/tmp/state/synapse-postgres');
 * database.url; // postgres://mr_sandbox_ab12_synapse_postgres:…@127.0.0.1:5432/mr_sandbox_ab12_synapse_postgres
 */
export async function createSynapsePostgresDatabase(
  postgres: PostgresService,
  dir: string,
): Promise<SynapsePostgresDatabase & { password: string }> {
  const passwordFile = await writeSecretFile(join(dir, 'database-password'));
  const password = await readSecretFile(passwordFile);
  const role = await postgres.createRole(SYNAPSE_POSTGRES_SUFFIX, password);
  const database = await postgres.createDatabase(SYNAPSE_POSTGRES_SUFFIX, { owner: role.name });
  return {
    url: postgresUrl({ host: postgres.host, port: postgres.port, user: role.name, password }, database.name),
    name: database.name,
    role: role.name,
    passwordFile,
    password,
  };
}

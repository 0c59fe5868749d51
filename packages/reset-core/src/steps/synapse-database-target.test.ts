import { describe, expect, it } from 'vitest';
import { isResetError } from '../reset-error.ts';
import { fakeEnvironment } from '../test-support/plan-fixtures.ts';
import { chooseDatabaseBackup, type ReachableSynapseDatabase } from './synapse-database-target.ts';

type Role = ReachableSynapseDatabase['role'];

function database(role: Partial<Role>): ReachableSynapseDatabase {
  return {
    reachable: true,
    endpoint: { host: 'db', port: 5432, database: 'synapse', user: 'synapse', from: 'homeserver.yaml', overridden: [], password: 'homeserver.yaml', tls: 'off' },
    server: { version: '16.4', versionNum: 160004 },
    database: { name: 'synapse', owner: 'synapse', encoding: 'UTF8', collate: 'C', ctype: 'C', sizeBytes: 50 * 1024 * 1024 },
    role: { name: 'synapse', superuser: false, createDatabase: true, ownsDatabase: true, notOwnedSchemas: [], ...role },
    connections: 3,
    otherDatabases: { count: 0, names: [] },
    schema: { state: 'present', version: 88 },
  };
}

function environment(dumpDirectory?: string) {
  const env = fakeEnvironment();
  return { ...env, synapse: { ...env.synapse, database: { url: undefined, host: undefined, port: undefined, user: undefined, password: undefined, dumpDirectory } } };
}

function refusal(fn: () => unknown): Error & { code: string; nextSteps: readonly string[] } {
  try {
    fn();
  } catch (error) {
    if (isResetError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('chooseDatabaseBackup', () => {
  it('renames where the role may rename and create databases, dump directory or not', () => {
    expect(chooseDatabaseBackup(environment(), database({}), 'auto')).toMatchObject({ method: 'rename' });
    expect(chooseDatabaseBackup(environment('/backups'), database({ superuser: true, createDatabase: false, ownsDatabase: false }), 'auto')).toMatchObject({ method: 'rename' });
  });

  it('dumps into the directory where the role owns the database but lacks CREATEDB, saying why', () => {
    const choice = chooseDatabaseBackup(environment('/backups'), database({ createDatabase: false }), 'auto');
    expect(choice).toEqual({ method: 'dump', directory: '/backups', reason: "Role synapse cannot replace Synapse's database synapse: it lacks CREATEDB, so it is dumped and emptied in place instead" });
  });

  it('refuses without a dump directory, naming both fixes: the ALTER ROLE and the setting', () => {
    const error = refusal(() => chooseDatabaseBackup(environment(), database({ createDatabase: false }), 'auto'));
    expect(error.code).toBe('environment_incapable');
    expect(error.message).toBe(
      "Role synapse cannot replace Synapse's database synapse: it lacks CREATEDB; nor can it be dumped and emptied in place: " +
        "A dump of Synapse's database synapse needs a directory to keep it in: environments.dev.synapse.database.dumpDirectory is not set",
    );
    expect(error.nextSteps[0]).toBe('As a superuser (or the database\'s owner), run: ALTER ROLE "synapse" CREATEDB;');
    expect(error.nextSteps.join(' ')).toContain('Or, to back it up with pg_dump instead: Set synapse.database.dumpDirectory in matrix-reset.yaml to a directory with room for a compressed dump of 50.0 MiB');
  });

  it('refuses a dump where the role does not own a schema of the database, naming the ALTER SCHEMA', () => {
    const role = { createDatabase: false, ownsDatabase: false, notOwnedSchemas: ['public', 'Odd"Name'] };
    const error = refusal(() => chooseDatabaseBackup(environment('/backups'), database(role), 'dump'));
    expect(error.message).toBe("Role synapse cannot empty Synapse's database synapse after a dump: it does not own schemas public, Odd\"Name");
    expect(error.nextSteps).toEqual(['As a superuser (or the schema\'s owner), run: ALTER SCHEMA "public" OWNER TO "synapse"; ALTER SCHEMA "Odd""Name" OWNER TO "synapse";']);
  });

  it('does what it is asked, or refuses saying why: rename without the rights, dump without a directory', () => {
    expect(chooseDatabaseBackup(environment('/backups'), database({}), 'dump')).toEqual({ method: 'dump', directory: '/backups', reason: 'asked for (--database-backup dump)' });
    expect(refusal(() => chooseDatabaseBackup(environment('/backups'), database({ createDatabase: false }), 'rename')).message).toBe(
      "Role synapse cannot replace Synapse's database synapse: it lacks CREATEDB",
    );
    expect(refusal(() => chooseDatabaseBackup(environment(), database({}), 'dump')).code).toBe('config_invalid');
  });
});

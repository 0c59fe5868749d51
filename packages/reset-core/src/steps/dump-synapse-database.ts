import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { resolveSynapseDatabase, type SynapseDatabaseAccess } from '../connection/connect-synapse-database.ts';
import { dumpDatabase, emptyDatabase, restoreDatabase, type DumpTarget } from '../synapse-database/database-dump.ts';
import { backupDatabaseName, requireNoSessions } from '../synapse-database/database-swap.ts';
import type { RunConnection, StepDefinition, StepDetail, UndoResult } from './step-definition.ts';
import {
  chosenDatabaseBackup,
  mebibytes,
  observedSynapseDatabase,
  observedText,
  resetsSynapseDatabase,
  synapseDatabaseServer,
  waitForNoSessions,
} from './synapse-database-target.ts';
import { runPlanStep, undoStepContext } from './synapse-database-undo.ts';

/** The dump of a run: `<directory>/<database>__mr_<run id>.dump`. */
export function dumpFileOf(directory: string, database: string, runId: string): string {
  return join(directory, `${backupDatabaseName(database, runId)}.dump`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** Where pg_dump and pg_restore reach Synapse's database: the access's endpoint; the password read when they start. */
function dumpTarget(access: SynapseDatabaseAccess, database: string): DumpTarget {
  const { endpoint } = access;
  return {
    host: endpoint.host,
    port: endpoint.port,
    database,
    user: endpoint.user,
    sslmode: endpoint.tls === 'off' ? 'prefer' : endpoint.tls === 'verified' ? 'verify-full' : 'require',
    password: () => access.revealPassword(),
  };
}

/**
 * Dumps into `file` whole or not at all: pg_dump writes `<file>.partial-<random>` (created 0600 first: the dump
 * holds Synapse's access tokens), flushed to disk, then renamed; a `file` that exists is therefore a complete dump.
 * Partial files of earlier attempts (a process killed mid-dump, whose pg_dump may still be writing) are removed
 * first, each attempt writing its own.
 */
async function dumpOnce(target: DumpTarget, file: string): Promise<number> {
  const directory = dirname(file);
  const prefix = `${basename(file)}.partial-`;
  for (const name of await readdir(directory)) if (name.startsWith(prefix)) await rm(join(directory, name), { force: true });
  const partial = `${file}.partial-${randomBytes(4).toString('hex')}`;
  const created = await open(partial, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  await created.close();
  try {
    await dumpDatabase(target, partial);
    const written = await open(partial, 'r+');
    try {
      await written.sync();
    } finally {
      await written.close();
    }
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return (await stat(file)).size;
}

async function emptyIn(access: SynapseDatabaseAccess): Promise<string[]> {
  const session = await access.connect({ statementTimeoutMs: 0 });
  try {
    return await emptyDatabase(session.client);
  } finally {
    await session.close();
  }
}

async function resolveAccess(connection: RunConnection): Promise<SynapseDatabaseAccess> {
  return resolveSynapseDatabase(connection.environment, { kube: connection.kube, openSecretStore: connection.openSecretStore });
}

/**
 * Backs up a Postgres-backed Synapse's database where it cannot be renamed aside (the role owns what is in it but
 * may not create databases): once every Synapse process is stopped and no session is left, pg_dump into the
 * configured directory (`synapse.database.dumpDirectory`), then empties the database in place (every schema the
 * role owns dropped, `public` made again) for Synapse to create its schema in. Running it again after it dumped
 * uses that dump. Its undo empties the database again and restores the dump.
 */
export const dumpSynapseDatabase: StepDefinition = {
  kind: 'dump-synapse-database',
  describe(input) {
    if (!resetsSynapseDatabase(input)) return undefined;
    const backup = chosenDatabaseBackup(input);
    if (backup.method !== 'dump') return undefined;
    const seen = observedSynapseDatabase(input);
    const { name } = seen.database;
    return {
      description:
        `Wait until no session is left on Synapse's database ${name} (${mebibytes(seen.database.sizeBytes)}), pg_dump it into ` +
        `${dumpFileOf(backup.directory, name, '<run id>')}, then empty it in place (${backup.reason})`,
      observed: { database: name, owner: seen.database.owner, method: 'dump', directory: backup.directory, terminateSessions: input.terminateDatabaseSessions },
      undo: `Stop Synapse, empty ${name} again, pg_restore the dump into it, start Synapse again: the tokens issued before the reset work again`,
    };
  },
  async execute(context): Promise<StepDetail> {
    const database = observedText(context.step.observed, 'database', context.step.id);
    const directory = observedText(context.step.observed, 'directory', context.step.id);
    const file = dumpFileOf(directory, database, context.runId);
    const access = await resolveAccess(context.connection);
    const server = await synapseDatabaseServer(context.connection);
    try {
      const ended = await waitForNoSessions(server.client, database, context, context.step.observed['terminateSessions'] === true);
      await requireNoSessions(server.client, database);
      const alreadyDumped = await exists(file);
      let bytes: number;
      if (alreadyDumped) {
        bytes = (await stat(file)).size;
      } else {
        await mkdir(directory, { recursive: true, mode: 0o700 });
        context.onProgress?.({ type: 'waiting', stepId: context.step.id, waitingFor: `pg_dump of ${database} into ${file}` });
        bytes = await dumpOnce(dumpTarget(access, database), file);
      }
      const dropped = await emptyIn(access);
      return { database, file, bytes, alreadyDumped, sessionsEnded: ended, schemasDropped: dropped.join(',') };
    } finally {
      await server.close();
    }
  },
  async undo(context): Promise<UndoResult> {
    const database = observedText(context.step.observed, 'database', context.step.id);
    const directory = observedText(context.step.observed, 'directory', context.step.id);
    const file = dumpFileOf(directory, database, context.runId);
    if (!(await exists(file))) {
      if (context.ran.state === 'finished') {
        return {
          outcome: 'cannot-undo',
          summary: `the dump ${file} is gone`,
          cannotUndo: [`${database} stays as the reset made it: its dump ${file} was removed, so the data from before the reset cannot be restored from it`],
          detail: { database, file },
        };
      }
      return { outcome: 'nothing-to-undo', summary: `no dump ${file}: ${database} was never emptied`, cannotUndo: [], detail: { database } };
    }
    if (context.dryRun) return { outcome: 'would-undo', summary: `would stop Synapse, empty ${database} and pg_restore ${file} into it`, cannotUndo: [], detail: { database, file } };
    const access = await resolveAccess(context.connection);
    const server = await synapseDatabaseServer(context.connection);
    try {
      await runPlanStep(context, 'scale-down');
      await waitForNoSessions(server.client, database, undoStepContext(context), false);
      await requireNoSessions(server.client, database);
      await emptyIn(access);
      await restoreDatabase(dumpTarget(access, database), file);
      await runPlanStep(context, 'scale-up');
      return { outcome: 'undone', summary: `${database} holds the data from before the reset again (restored from ${file})`, cannotUndo: [], detail: { database, file } };
    } finally {
      await server.close();
    }
  },
};

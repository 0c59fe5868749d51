import { mapConcurrent, type AdminUser } from '@matrix-reset/synapse-admin';
import { clearUsers, createUserCreds } from '@matrix-reset/user-creds';
import { credsContext, rowsOnServer, userLookup } from './credential-rows.ts';
import type { StepContext } from './step-definition.ts';

/**
 * Clears the stored credentials of the rows whose Matrix user `select` picks (looked up once per user id), against a
 * snapshot of just those rows under `snapshotRunId`, so a rollback can restore them. Resumes a clear that died
 * half-way (user-creds' progress table): with nothing selected now but a snapshot present, it finishes that one.
 */
export async function clearSelectedRows(context: StepContext, snapshotRunId: string, select: (user: AdminUser | undefined) => boolean): Promise<{ selected: number; cleared: number; kept: number; snapshotRunId: string | null }> {
  const lookup = userLookup(context.connection.synapse);
  const keys: { schema: string; key: string }[] = [];
  for await (const result of mapConcurrent(rowsOnServer(context), context.concurrency, async (row) => select(await lookup(row.userId)))) {
    if (result.status === 'rejected') throw result.reason;
    if (result.value) keys.push({ schema: result.input.schema, key: result.input.key });
  }
  const { db, environment } = context.connection;
  const creds = createUserCreds({ db, layout: environment.appDatabase.layout });
  if (keys.length === 0 && (await creds.listSnapshots(snapshotRunId)).length === 0) return { selected: 0, cleared: 0, kept: 0, snapshotRunId: null };
  const result = await clearUsers(credsContext(context), {
    runId: snapshotRunId,
    select: { keys },
    ...(context.batchSize === undefined ? {} : { batchSize: context.batchSize }),
    onProgress: (p) => context.onProgress?.({ type: 'count', stepId: context.step.id, task: 'clear', done: p.totalCleared, total: Math.max(keys.length, p.totalCleared), unit: 'rows' }),
  });
  return { selected: keys.length, cleared: result.totalCleared, kept: result.totalKept, snapshotRunId };
}

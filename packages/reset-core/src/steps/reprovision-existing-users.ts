import { sql } from 'kysely';
import { isSynapseClientError, mapConcurrent } from '@matrix-reset/synapse-admin';
import type { StoredCredential } from '@matrix-reset/user-creds';
import { ensureCredentials, type EnsureCredentialsDeps } from '../ensure/ensure-credentials.ts';
import { recordRepairWrite, tokenDigest } from '../journal/rollback-journal.ts';
import { ResetError } from '../reset-error.ts';
import { rowsOnServer, userLookup } from './credential-rows.ts';
import { plannedRowsWithCredentials, type StepDefinition, type UndoContext } from './step-definition.ts';

/**
 * For every row whose Matrix user exists and is active: ensure-credentials (keeps a token whoami accepts, else mints
 * one with login-as and writes it with compare-and-set). Rows of missing or deactivated users are skipped. Run again,
 * it keeps what it minted. Undone by putting back the snapshot values of each row that still holds the repair's token.
 */
export const reprovisionExistingUsers: StepDefinition = {
  kind: 'reprovision-existing-users',
  describe({ report }) {
    const t = report.totals;
    return {
      description:
        'For every stored credential whose Matrix user still exists: keep a token whoami accepts, otherwise mint one with admin login-as ' +
        'and write it with compare-and-set (never a password login, never a new Matrix user)',
      observed: { unknownToken: t.unknown_token, expired: t.expired, wrongOwner: t.wrong_owner, valid: t.valid, deactivatedSkipped: t.deactivated },
      undo: 'Restore the stored credentials from the snapshot (matrix-reset rollback RUN); the minted tokens stay valid until they expire',
    };
  },
  async execute(context) {
    const { db, environment, synapse } = context.connection;
    const lookup = userLookup(synapse);
    const deps: EnsureCredentialsDeps = { db, layout: environment.appDatabase.layout, synapse, serverName: environment.synapse.serverName };
    const counts = { examined: 0, kept: 0, minted: 0, missingUser: 0, deactivated: 0 };
    const failures: { schema: string; key: string; message: string }[] = [];
    const total = plannedRowsWithCredentials(context.plan);
    const handle = async (row: StoredCredential & { userId: string }): Promise<'kept' | 'minted' | 'missingUser' | 'deactivated'> => {
      const user = await lookup(row.userId);
      if (user === undefined) return 'missingUser';
      if (user.deactivated) return 'deactivated';
      const ensured = await ensureCredentials(deps, { schema: row.schema, appUserKey: row.key });
      if (ensured.source === 'kept') return 'kept';
      // Recorded (as a digest) so a rollback can tell this row still holds what the repair wrote.
      await recordRepairWrite(db, { runId: context.runId, schema: row.schema, key: row.key, accessToken: ensured.accessToken.reveal() });
      return 'minted';
    };
    for await (const result of mapConcurrent(rowsOnServer(context), context.concurrency, handle)) {
      counts.examined++;
      if (result.status === 'fulfilled') counts[result.value]++;
      else if (result.reason instanceof ResetError || isSynapseClientError(result.reason)) {
        failures.push({ schema: result.input.schema, key: result.input.key, message: (result.reason as Error).message });
      } else throw result.reason;
      if (counts.examined % 100 === 0) context.onProgress?.({ type: 'count', stepId: context.step.id, task: 're-provision', done: counts.examined, total: Math.max(total, counts.examined), unit: 'rows' });
    }
    context.onProgress?.({ type: 'count', stepId: context.step.id, task: 're-provision', done: counts.examined, total: counts.examined, unit: 'rows' });
    if (failures.length > 0) {
      const first = failures[0]!;
      throw new ResetError('step_failed', `${failures.length} of ${counts.examined} rows could not be re-provisioned (first: ${first.schema} key ${first.key}: ${first.message})`, {
        nextSteps: ['Fix the cause, then resume the run (matrix-reset resume RUN): rows already repaired are kept.'],
      });
    }
    return counts;
  },
  undo: revertReprovisioned,
};

/** The snapshot's values of one row (user id, token, device id), or undefined when the row is not in it. */
async function snapshotValues(context: UndoContext, schema: string, key: string): Promise<{ userId: string | null; accessToken: string | null; deviceId: string | null } | undefined> {
  const snapshot = (await context.creds.listSnapshots(context.runId)).find((s) => s.schema === schema);
  if (snapshot === undefined) return undefined;
  const result = await sql<{ r: Record<string, string | null> }>`
    SELECT to_jsonb(s) AS r FROM ${sql.id(context.creds.ownSchema, snapshot.backupTable)} s WHERE s.k::text = ${key}`.execute(context.connection.db);
  const row = result.rows[0]?.r;
  if (row === undefined) return undefined;
  return { userId: row['user_id'] ?? null, accessToken: row['access_token'] ?? null, deviceId: row['device_id'] ?? null };
}

function numberIn(detail: unknown, key: string): number | undefined {
  const value = typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' ? value : undefined;
}

/**
 * Puts back the snapshot values of each row the repair wrote a token into, with compare-and-set on that token: a
 * row that holds anything else now (the app wrote it since) is kept.
 */
async function revertReprovisioned(context: UndoContext) {
  const writes = await context.rollbacks.repairWrites(context.runId);
  const counts = { recorded: writes.length, reverted: 0, keptChanged: 0, notInSnapshot: 0 };
  for (const write of writes) {
    const row = await context.creds.read({ schema: write.schema, key: write.key });
    if (row === undefined || row.accessToken === null || tokenDigest(row.accessToken) !== write.tokenSha256) {
      counts.keptChanged++;
      continue;
    }
    const before = await snapshotValues(context, write.schema, write.key);
    if (before === undefined) {
      counts.notInSnapshot++;
      continue;
    }
    if (context.dryRun) {
      counts.reverted++;
      continue;
    }
    const written = await context.creds.write({ schema: write.schema, key: write.key, expectedAccessToken: row.accessToken, ...before });
    if (written.status === 'written') counts.reverted++;
    else counts.keptChanged++;
  }
  const minted = numberIn(context.ran.detail, 'minted');
  const cannotUndo: string[] = [];
  const unrecorded = minted === undefined ? 0 : Math.max(0, minted - writes.length);
  if (unrecorded > 0) {
    cannotUndo.push(`${unrecorded} of the ${minted} rows step ${context.step.id} re-provisioned have no record of the token it wrote, so they are left as they are (a row is reverted only while it provably holds the repair's token)`);
  }
  if (counts.notInSnapshot > 0) cannotUndo.push(`${counts.notInSnapshot} re-provisioned rows are not in snapshot ${context.runId} and were left as they are`);
  if (counts.reverted > 0) {
    cannotUndo.push(`${counts.reverted} tokens the repair minted (login-as) stay valid on Synapse until they expire; no row stores them any more`);
  }
  const verb = context.dryRun ? 'would revert' : 'reverted';
  return {
    outcome: counts.reverted > 0 ? (context.dryRun ? ('would-undo' as const) : ('undone' as const)) : cannotUndo.length > 0 ? ('cannot-undo' as const) : ('nothing-to-undo' as const),
    summary: `${verb} ${counts.reverted} re-provisioned rows to their snapshot values; ${counts.keptChanged} rows changed since the repair (or already reverted) were kept`,
    cannotUndo,
    detail: counts,
  };
}

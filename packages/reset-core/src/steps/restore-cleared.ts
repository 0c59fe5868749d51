import { sql } from 'kysely';
import type { UndoContext, UndoResult } from './step-definition.ts';

/**
 * The undo of the steps that clear stored credentials against a snapshot: restores the rows of the snapshot that are
 * still cleared (user-creds `restore`); rows written since are kept.
 */
export async function restoreCleared(context: UndoContext, snapshotRunId: string): Promise<UndoResult> {
  const what = `step ${context.step.id}`;
  const snapshots = await context.creds.listSnapshots(snapshotRunId);
  if (snapshots.length === 0) return { outcome: 'nothing-to-undo', summary: `no snapshot ${snapshotRunId}: ${what} cleared nothing`, cannotUndo: [], detail: { snapshotRunId } };
  if (context.dryRun) {
    const stillCleared = await countStillCleared(context, snapshotRunId);
    return {
      outcome: stillCleared > 0 ? 'would-undo' : 'nothing-to-undo',
      summary: `restore ${stillCleared} rows still cleared from snapshot ${snapshotRunId} (rows written since are kept)`,
      cannotUndo: [],
      detail: { snapshotRunId, stillCleared },
    };
  }
  const result = await context.creds.restore({ runId: snapshotRunId });
  const kept = result.totalSkipped;
  return {
    outcome: result.totalRestored > 0 ? 'undone' : 'nothing-to-undo',
    summary: `restored ${result.totalRestored} rows from snapshot ${snapshotRunId}; ${kept} rows hold credentials again (written since, or already restored) and were kept`,
    cannotUndo: [],
    detail: { snapshotRunId, restored: result.totalRestored, kept },
  };
}

/** Rows of a snapshot whose live row is still in the cleared state (every snapshotted column NULL). */
async function countStillCleared(context: UndoContext, snapshotRunId: string): Promise<number> {
  let count = 0;
  for (const snapshot of await context.creds.listSnapshots(snapshotRunId)) {
    const cleared = sql.join(
      snapshot.columns.map((c) => (c.kind === 'jsonbKey' ? sql`NOT coalesce(t.${sql.id(c.column)} ? ${c.key ?? ''}, false)` : sql`t.${sql.id(c.column)} IS NULL`)),
      sql` AND `,
    );
    const result = await sql<{ n: string }>`
      SELECT count(*) AS n FROM ${sql.id(context.creds.ownSchema, snapshot.backupTable)} s
      JOIN ${sql.id(snapshot.schema, snapshot.table)} t ON t.${sql.id(snapshot.keyColumn)}::text = s.k::text
      WHERE ${cleared}`.execute(context.connection.db);
    count += Number(result.rows[0]?.n ?? 0);
  }
  return count;
}

import type { PruneResult } from '@matrix-reset/reset-core';
import { renderTable } from '../render-table.ts';
import { UsageError } from '../usage-error.ts';

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An age as the operator writes it (`30d`, `12h`, `90m`, `2w`) in milliseconds; a usage error naming the form otherwise.
 *
 * @example
 * parseAge('30d'); // 2592000000
 */
export function parseAge(text: string): number {
  const match = /^\s*(\d+)\s*([mhdw])\s*$/i.exec(text);
  if (match === null) throw new UsageError(`--older-than ${JSON.stringify(text.slice(0, 40))} is not an age`, { nextSteps: ['Write a number and m, h, d or w, e.g. --older-than 30d.'] });
  return Number(match[1]) * (UNITS[match[2]!.toLowerCase()] ?? 0);
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** What a prune dropped (or would drop), run by run, and the runs it left alone. */
export function renderPrune(result: PruneResult): string {
  const verb = result.dryRun ? 'would drop' : 'dropped';
  const lines = [`Prune of ${result.environment}: ${result.pruned.length === 0 ? 'no backups to drop' : `${verb} the backups of ${result.pruned.length} run${result.pruned.length === 1 ? '' : 's'}`}${result.dryRun ? ' (dry run, nothing changed)' : ''}`];
  if (result.pruned.length > 0) {
    lines.push(
      renderTable(
        result.pruned.map((p) => ({
          run: p.runId,
          started: p.createdAt.toISOString(),
          state: p.state,
          database:
            p.databaseBackup !== undefined
              ? `${p.databaseBackup.name} (${mebibytes(p.databaseBackup.sizeBytes)})`
              : p.databaseDump !== undefined
                ? `${p.databaseDump.file} (${mebibytes(p.databaseDump.bytes)})`
                : '-',
          snapshots: p.credentialSnapshots.length === 0 ? '-' : p.credentialSnapshots.map((s) => `${s.schema} (${s.rows} rows)`).join(', '),
        })),
        [
          { key: 'run', header: 'RUN' },
          { key: 'started', header: 'STARTED' },
          { key: 'state', header: 'STATE' },
          { key: 'database', header: 'DATABASE BACKUP' },
          { key: 'snapshots', header: 'CREDENTIAL SNAPSHOTS' },
        ],
      ).trimEnd(),
    );
  }
  for (const s of result.skipped) lines.push(`Kept ${s.runId}: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

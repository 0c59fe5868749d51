import type { credsClear, credsInventory, credsRestore, credsSnapshot } from '@matrix-reset/reset-core';
import { renderTable } from '../render-table.ts';

type Result<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

/** `creds inventory` as text: rows, rows holding a credential, complete and partial ones, per schema. */
export function renderInventory(r: Result<typeof credsInventory>): string {
  return [
    `Environment ${r.environment}`,
    '',
    renderTable(r.schemas, [
      { key: 'schema', header: 'SCHEMA' },
      { key: 'rows', header: 'ROWS' },
      { key: 'withCredentials', header: 'WITH CREDS' },
      { key: 'complete', header: 'COMPLETE' },
      { key: 'partial', header: 'PARTIAL' },
    ]),
  ].join('\n');
}

/** `creds snapshot` as text: the run id and the rows backed up per schema. */
export function renderSnapshot(r: Result<typeof credsSnapshot>): string {
  return [
    `Environment ${r.environment}, run ${r.runId}`,
    '',
    renderTable(r.schemas, [
      { key: 'schema', header: 'SCHEMA' },
      { key: 'rowCount', header: 'ROWS' },
      { key: 'alreadyExisted', header: 'EXISTED', format: (s) => (s.alreadyExisted ? 'yes' : 'no') },
    ]),
  ].join('\n');
}

/** `creds clear` as text: cleared and kept per schema, and how to undo it. */
export function renderClear(r: Result<typeof credsClear>): string {
  return [
    `Environment ${r.environment}, run ${r.runId}: ${r.dryRun ? 'would clear' : 'cleared'} ${r.totalCleared.toLocaleString('en-US')}, kept ${r.totalKept.toLocaleString('en-US')}`,
    '',
    renderTable(r.schemas, [
      { key: 'schema', header: 'SCHEMA' },
      { key: 'cleared', header: 'CLEARED' },
      { key: 'kept', header: 'KEPT' },
    ]),
    r.dryRun ? '' : `Undo with: matrix-reset creds restore --env ${r.environment} --run-id ${r.runId}\n`,
  ].join('\n');
}

/** `creds restore` as text: restored and skipped per schema. */
export function renderRestore(r: Result<typeof credsRestore>): string {
  return [
    `Environment ${r.environment}, run ${r.runId}: ${r.dryRun ? 'would restore' : 'restored'} ${r.totalRestored.toLocaleString('en-US')}, skipped ${r.totalSkipped.toLocaleString('en-US')}`,
    '',
    renderTable(r.schemas, [
      { key: 'schema', header: 'SCHEMA' },
      { key: 'inSnapshot', header: 'IN SNAPSHOT' },
      { key: 'restored', header: 'RESTORED' },
      { key: 'skipped', header: 'SKIPPED' },
    ]),
  ].join('\n');
}

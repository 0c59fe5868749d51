import type { RunStatus } from '@matrix-reset/reset-core';
import { renderRun } from './run.ts';

/** What `status` prints: a page of runs (newest first) and the cursor of the next page (null on the last). */
export interface RunPage {
  readonly environment: string;
  readonly runs: readonly RunStatus[];
  readonly nextCursor: string | null;
}

/** A page of runs as text, and the command that shows the next page when there is one. */
export function renderRunPage(page: RunPage): string {
  if (page.runs.length === 0) return `No runs of ${page.environment}\n`;
  const more = page.nextCursor === null ? [] : [`\nMore runs: matrix-reset status --env ${page.environment} --cursor ${page.nextCursor}\n`];
  return [page.runs.map(renderRun).join('\n'), ...more].join('');
}

import { ENDPOINTS } from './endpoint-inventory.ts';

/** The README's endpoint table (a Markdown table, one row per endpoint, by area), generated from {@link ENDPOINTS}. */
export function endpointTable(): string {
  const rows = [...ENDPOINTS]
    .sort((a, b) => a.area.localeCompare(b.area) || a.route.localeCompare(b.route) || a.method.localeCompare(b.method))
    .map((e) => `| ${e.area} | \`${e.method} ${e.route}\` | \`client.${e.call}\` | ${e.idempotency} | ${e.delegatedAuth} |`);
  return ['| area | endpoint | client method | retried | under delegated auth |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README lines the table sits between. */
export const TABLE_MARKERS = Object.freeze({ start: '<!-- endpoint-table:start (generated: node src/write-endpoint-table.ts) -->', end: '<!-- endpoint-table:end -->' });

/** `readme` with the text between the markers replaced by the current table. */
export function withEndpointTable(readme: string): string {
  const start = readme.indexOf(TABLE_MARKERS.start);
  const end = readme.indexOf(TABLE_MARKERS.end);
  if (start === -1 || end === -1 || end < start) throw new Error(`the README has no ${TABLE_MARKERS.start} ... ${TABLE_MARKERS.end} section`);
  return `${readme.slice(0, start + TABLE_MARKERS.start.length)}\n\n${endpointTable()}\n\n${readme.slice(end)}`;
}

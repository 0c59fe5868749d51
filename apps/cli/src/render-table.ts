/**
 * A plain-text table for stdout: a header row, a rule, and left-aligned text / right-aligned numbers.
 *
 * @example
 * renderTable([{ schema: 'public', rows: 12 }], [{ key: 'schema', header: 'SCHEMA' }, { key: 'rows', header: 'ROWS' }]);
 * // SCHEMA  ROWS
 * // ------  ----
 * // public    12
 */
export interface Column<R> {
  key: keyof R & string;
  header: string;
  /** Cell text; defaults to `String(row[key])` (`-` for null/undefined). */
  format?: (row: R) => string;
}

export function renderTable<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  const cells = rows.map((row) => columns.map((c) => (c.format ? c.format(row) : cellText(row[c.key]))));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((row) => typeof row[c.key] === 'number'));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  return String(value);
}

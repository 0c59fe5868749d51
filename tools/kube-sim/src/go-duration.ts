const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 });

/**
 * Parses a Go `time.Duration` string (`1h`, `30s`, `1h30m`, `1.5h`, `0`) into milliseconds; `undefined` when it
 * is not one.
 *
 * @example
 * parseGoDuration('1h30m'); // 5_400_000
 * parseGoDuration('0'); // 0
 */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  return total;
}

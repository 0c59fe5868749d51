import { SecretsError } from './secrets-error.ts';

/** One `KEY=value` assignment found in a dotenv text, spanning lines `start..end` (multi-line quoted values). */
export interface DotenvAssignment {
  readonly key: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Everything before the value: indentation, `export `, the key and `=` with its spacing. */
  readonly prefix: string;
  /** Everything after the value on its last line (` # comment`). */
  readonly suffix: string;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*)(.*)$/;
const SAFE_UNQUOTED = /^[A-Za-z0-9_./:@+=,%^~-]*$/;

function splitLines(text: string): { lines: string[]; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { lines: text.split(eol), eol };
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\([nr"\\])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/**
 * Finds every assignment in a dotenv text: `KEY=value`, `export KEY=value`, spaces around `=`, unquoted values
 * with ` # comments`, single-quoted (literal), double-quoted (`\n`, `\r`, `\"`, `\\` escapes) and backtick values,
 * quoted values spanning lines. Comments, blank and unparsable lines are not assignments.
 *
 * @example
 * ```ts
 * parseDotenv("# c\nexport A='x y'\nB=1 # one\n").map((a) => [a.key, a.value]); // [['A', 'x y'], ['B', '1']]
 * ```
 */
export function parseDotenv(text: string): DotenvAssignment[] {
  const { lines } = splitLines(text);
  const out: DotenvAssignment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = ASSIGNMENT.exec(lines[i] as string);
    if (!match) continue;
    const [, prefix = '', key = '', rest = ''] = match;
    if (rest.startsWith('"') || rest.startsWith("'") || rest.startsWith('`')) {
      const quoted = readQuotedValue(lines, i, rest);
      if (quoted !== undefined) {
        out.push(Object.freeze({ key, value: quoted.value, start: i, end: quoted.end, prefix, suffix: quoted.suffix }));
        i = quoted.end;
        continue;
      }
    }
    const comment = /\s+#/.exec(rest);
    const value = (comment ? rest.slice(0, comment.index) : rest).trim();
    out.push(Object.freeze({ key, value, start: i, end: i, prefix, suffix: comment ? rest.slice(comment.index) : '' }));
  }
  return out;
}

/** Scans a quoted value across lines; undefined when it never closes (then the line is read unquoted). */
function readQuotedValue(lines: readonly string[], start: number, rest: string): { value: string; end: number; suffix: string } | undefined {
  const quote = rest[0] as string;
  let raw = '';
  let line = start;
  let text = rest.slice(1);
  for (;;) {
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (quote === '"' && c === '\\' && i + 1 < text.length) {
        raw += c + (text[i + 1] as string);
        i++;
        continue;
      }
      if (c === quote) return { value: quote === '"' ? unescapeDouble(raw) : raw, end: line, suffix: text.slice(i + 1) };
      raw += c;
    }
    line++;
    const next = lines[line];
    if (next === undefined) return undefined;
    raw += '\n';
    text = next;
  }
}


/**
 * The dotenv spelling of a value: bare when it is only safe characters, single-quoted when it has no `'` or line
 * break (literal everywhere, no `$` expansion), double-quoted with `\n` escapes when it has no `"`, `\`, `$` or
 * backtick. Anything else has no portable spelling: `invalid_value`.
 *
 * @example
 * ```ts
 * formatDotenvValue('syt_abc');   // 'syt_abc'
 * formatDotenvValue('a b#c');     // "'a b#c'"
 * formatDotenvValue("it's\nok");  // '"it\'s\\nok"'
 * ```
 */
export function formatDotenvValue(value: string): string {
  if (SAFE_UNQUOTED.test(value)) return value;
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  if (!/["\\$`]/.test(value)) return `"${value.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
  throw new SecretsError({
    code: 'invalid_value',
    message: 'The value mixes a single quote or line break with ", \\, $ or `: no dotenv quoting represents it the same way in every loader',
    nextSteps: ['Use a value without those characters (generated tokens and secrets never need them).'],
  });
}

/**
 * The value of `key` (the last assignment wins, as in dotenv), or undefined.
 *
 * @example
 * ```ts
 * getDotenvValue('A=1\nA=2\n', 'A'); // '2'
 * ```
 */
export function getDotenvValue(text: string, key: string): string | undefined {
  return parseDotenv(text).filter((a) => a.key === key).at(-1)?.value;
}

/**
 * Sets `key` in place, keeping every other line, comment and the order: each assignment of the key gets the new
 * value (its `export`, spacing and trailing comment kept); a missing key is appended on a new last line.
 *
 * @example
 * ```ts
 * setDotenvValue('# admin\nTOKEN=old # rotated\nOTHER=1\n', 'TOKEN', 'new');
 * // '# admin\nTOKEN=new # rotated\nOTHER=1\n'
 * ```
 */
export function setDotenvValue(text: string, key: string, value: string): string {
  const formatted = formatDotenvValue(value);
  const { lines, eol } = splitLines(text);
  const assignments = parseDotenv(text).filter((a) => a.key === key);
  if (assignments.length === 0) {
    const line = `${key}=${formatted}`;
    if (text === '') return `${line}${eol}`;
    return text.endsWith(eol) ? `${text}${line}${eol}` : `${text}${eol}${line}${eol}`;
  }
  for (const a of [...assignments].reverse()) {
    lines.splice(a.start, a.end - a.start + 1, `${a.prefix}${formatted}${a.suffix}`);
  }
  return lines.join(eol);
}

/**
 * Removes every assignment of `key`, keeping all other lines.
 *
 * @example
 * ```ts
 * removeDotenvKey('A=1\nB=2\n', 'A'); // 'B=2\n'
 * ```
 */
export function removeDotenvKey(text: string, key: string): string {
  const { lines, eol } = splitLines(text);
  for (const a of parseDotenv(text).filter((x) => x.key === key).reverse()) lines.splice(a.start, a.end - a.start + 1);
  return lines.join(eol);
}

/** What a redacted secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Token shapes Synapse and the Matrix Authentication Service issue (`syt_`, `mct_`, `mpt_`, `mat_`, `mcr_`, `mar_`).
 * Scrubbed even when the client never saw the value, as a second line of defence.
 */
const TOKEN_PATTERN = /\b(?:syt|syr|mct|mcr|mpt|mat|mar)_[A-Za-z0-9_-]{6,}/g;
const BEARER_PATTERN = /\b(Bearer\s+)[^\s"',;]+/gi;
const QUERY_TOKEN_PATTERN = /([?&](?:access_token|password|secret|token)=)[^&\s"']+/gi;

/** Secrets shorter than this are not scrubbed by value: replacing "a" everywhere would mangle every message. */
const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every known secret value (and anything shaped like a Matrix access token or a bearer header) in `text`.
 *
 * @example
 * ```ts
 * redactSecrets('token syt_abc_def123 leaked, password hunter22', ['hunter22']);
 * // -> 'token [redacted] leaked, password [redacted]'
 * ```
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) {
      out = out.split(secret).join(REDACTED);
    }
  }
  return out
    .replace(TOKEN_PATTERN, REDACTED)
    .replace(BEARER_PATTERN, `$1${REDACTED}`)
    .replace(QUERY_TOKEN_PATTERN, `$1${REDACTED}`);
}

/**
 * A copy of an arbitrary thrown value that is safe to keep as an error `cause`: a plain `Error` carrying only the
 * scrubbed name, message, stack and system error fields (`code`, `syscall`, `errno`) of the original and of its
 * own `cause` and `errors` (AggregateError), never the original object (undici errors can hold request options).
 *
 * @example
 * ```ts
 * const safe = sanitizeCause(new Error('connect ECONNREFUSED 127.0.0.1:1'), ['my-token']);
 * safe.message; // 'connect ECONNREFUSED 127.0.0.1:1'
 * ```
 */
export function sanitizeCause(value: unknown, secrets: Iterable<string | undefined>, depth = 0): Error {
  const secretList = [...secrets];
  if (!(value instanceof Error)) {
    return new Error(redactSecrets(typeof value === 'string' ? value : 'non-Error value thrown', secretList));
  }
  const copy = new Error(redactSecrets(value.message, secretList));
  copy.name = value.name;
  copy.stack = value.stack === undefined ? undefined : redactSecrets(value.stack, secretList);
  const fields = value as Error & { code?: unknown; syscall?: unknown; errno?: unknown; errors?: unknown };
  const target = copy as Error & { code?: string; syscall?: string; errno?: number; errors?: Error[] };
  if (typeof fields.code === 'string') target.code = fields.code;
  if (typeof fields.syscall === 'string') target.syscall = fields.syscall;
  if (typeof fields.errno === 'number') target.errno = fields.errno;
  if (depth < 3) {
    if (value.cause !== undefined) copy.cause = sanitizeCause(value.cause, secretList, depth + 1);
    if (Array.isArray(fields.errors)) {
      target.errors = fields.errors.slice(0, 4).map((inner: unknown) => sanitizeCause(inner, secretList, depth + 1));
    }
  }
  return copy;
}

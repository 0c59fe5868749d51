// Whether a database error means "Postgres is not there right now" (an outage to wait out), not a bug or a refusal.

/** Node's codes for a connection that could not be made or was lost. */
const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
/** SQLSTATEs outside class 08 that mean "not now": too many connections, admin shutdown, crash shutdown, cannot connect now. */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set(['53300', '57P01', '57P02', '57P03']);

/**
 * The code of a database error meaning "unreachable or not accepting connections" (a Node connection code, a
 * SQLSTATE of class 08 or in {@link UNAVAILABLE_SQLSTATES}), or undefined for anything else. Looks through `cause`
 * and an AggregateError's errors (a host name resolving to several addresses).
 *
 * @example
 * ```ts
 * databaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // 'ECONNREFUSED'
 * databaseUnavailable(new Error('syntax error')); // undefined
 * ```
 */
export function databaseUnavailable(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code)) return code;
    if (isSqlState(error) && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code))) return `SQLSTATE ${code}`;
  }
  const { errors, cause } = error as { errors?: unknown; cause?: unknown };
  for (const inner of [...(Array.isArray(errors) ? (errors as unknown[]) : []), cause]) {
    const found = databaseUnavailable(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A Postgres server error (node-postgres' DatabaseError): a five-character SQLSTATE and a severity. */
function isSqlState(error: unknown): error is Error & { code: string; severity: string } {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return error instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}


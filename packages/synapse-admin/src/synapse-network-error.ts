import { redactSecrets, sanitizeCause } from './redact-secrets.ts';
import { SynapseClientError, type SynapseErrorCode } from './synapse-client-error.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/**
 * The request got no HTTP answer: connection refused, DNS failure, timeout, or the connection dropped.
 * `cause` is a scrubbed copy of the underlying error (with its `code`), never the original object.
 *
 * @example
 * ```ts
 * try { await client.admin.serverVersion(); }
 * catch (error) {
 *   if (error instanceof SynapseNetworkError && error.code === 'connection_refused') {
 *     // Synapse is not listening at baseUrl
 *   }
 * }
 * ```
 */
export class SynapseNetworkError extends SynapseClientError {
  override name = 'SynapseNetworkError';
  /** The system or undici error code, e.g. `ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`. */
  readonly systemCode: string | undefined;

  constructor(options: {
    code: SynapseErrorCode;
    systemCode: string | undefined;
    message: string;
    nextSteps: readonly string[];
    method: string;
    path: string;
    cause: Error;
  }) {
    super(options);
    this.systemCode = options.systemCode;
  }
}

function findSystemCode(error: unknown, depth = 0): string | undefined {
  if (depth > 3 || typeof error !== 'object' || error === null) return undefined;
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === 'string' && code !== 'UND_ERR' && code !== 'ERR_ASSERTION') return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = findSystemCode(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return findSystemCode(cause, depth + 1);
}

/** Classifies an error thrown by the dispatcher into a {@link SynapseNetworkError}; scrubs `secrets` from all of it. */
export function toNetworkError(
  error: unknown,
  context: { method: string; path: string; origin: string; secrets: readonly (string | undefined)[] },
): SynapseNetworkError {
  const systemCode = findSystemCode(error);
  const where = `${context.method} ${context.origin}${context.path}`;
  let code: SynapseErrorCode = 'network_error';
  let what = 'failed without an HTTP answer';
  let nextSteps = ['Check that baseUrl points at a reachable Synapse and retry.'];
  if (systemCode === 'ECONNREFUSED') {
    code = 'connection_refused';
    what = 'was refused: nothing is listening there';
    nextSteps = [
      `Check that Synapse is running and listening on ${context.origin} (homeserver.yaml "listeners").`,
      'From inside a cluster, check the Service name and port; from outside, a port-forward or ingress.',
    ];
  } else if (systemCode !== undefined && TIMEOUT_CODES.has(systemCode)) {
    code = 'timeout';
    what = 'timed out';
    nextSteps = ['Check that Synapse is healthy (GET /health) and not overloaded; raise timeoutMs if it is just slow.'];
  } else if (systemCode !== undefined && RESET_CODES.has(systemCode)) {
    code = 'connection_reset';
    what = 'lost its connection before the answer arrived';
    nextSteps = ['Retry; if it keeps happening, check the proxy or load balancer in front of Synapse.'];
  } else if (systemCode === 'ENOTFOUND' || systemCode === 'EAI_AGAIN') {
    code = 'dns_lookup_failed';
    what = 'could not resolve the host name';
    nextSteps = [`Check the host name in baseUrl (${context.origin}).`];
  }
  const detail = error instanceof Error && error.message !== '' ? ` (${error.message})` : '';
  return new SynapseNetworkError({
    code,
    systemCode,
    message: redactSecrets(`${where} ${what}${systemCode === undefined ? '' : ` [${systemCode}]`}${detail}`, context.secrets),
    nextSteps,
    method: context.method,
    path: context.path,
    cause: sanitizeCause(error, context.secrets),
  });
}

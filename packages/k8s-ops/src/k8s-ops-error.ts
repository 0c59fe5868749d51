/** Stable codes of the errors k8s-ops raises on purpose. */
export type K8sOpsErrorCode =
  | 'context_not_allowed'
  | 'context_missing'
  | 'kubeconfig_invalid'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'stale_precondition'
  | 'throttled'
  | 'server_error'
  | 'invalid'
  | 'unreachable'
  | 'timeout'
  | 'rollout_failed'
  | 'rollout_paused'
  | 'managed_secret'
  | 'lease_held'
  | 'lease_lost'
  | 'exec_failed'
  | 'workload_kind_unknown'
  | 'unsupported';

/** What the error is about: the request the API server refused, when there was one. */
export interface K8sRequestContext {
  verb: string;
  /** Plural resource, with its group when not core: `statefulsets.apps`, `persistentvolumeclaims`. */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

/**
 * An expected, user-facing failure with a stable `code`, a message saying what happened and `nextSteps` saying
 * what to do. Anything else thrown out of k8s-ops is a bug.
 *
 * @example
 * try { await scaleStatefulSet(kube, { namespace: 'openmeet-dev', name: 'matrix', replicas: 0 }); }
 * catch (e) { if (e instanceof K8sOpsError && e.code === 'forbidden') console.error(e.nextSteps.join('\n')); }
 */
export class K8sOpsError extends Error {
  override readonly name = 'K8sOpsError';
  readonly code: K8sOpsErrorCode;
  /** What to do about it, one step a line. */
  readonly nextSteps: readonly string[];
  readonly status: number | undefined;
  /** The API server's `Status.reason` (NotFound, Conflict, Forbidden, ...). */
  readonly reason: string | undefined;
  readonly request: K8sRequestContext | undefined;
  /** For 429: how long the server asked us to wait. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: K8sOpsErrorCode,
    message: string,
    options: {
      nextSteps: readonly string[];
      status?: number | undefined;
      reason?: string | undefined;
      request?: K8sRequestContext | undefined;
      retryAfterMs?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.nextSteps = Object.freeze([...options.nextSteps]);
    this.status = options.status;
    this.reason = options.reason;
    this.request = options.request;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True for a {@link K8sOpsError}, optionally of one of the given codes. */
export function isK8sOpsError(error: unknown, ...codes: K8sOpsErrorCode[]): error is K8sOpsError {
  return error instanceof K8sOpsError && (codes.length === 0 || codes.includes(error.code));
}

interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

function parseStatus(body: unknown): KubeStatus | undefined {
  if (typeof body === 'object' && body !== null) return body as KubeStatus;
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

function describe(request: K8sRequestContext): string {
  const target = request.name ? `${request.resource}/${request.name}` : request.resource;
  return `${request.verb} ${target}${request.namespace ? ` in namespace ${request.namespace}` : ''}`;
}

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * Turns whatever the Kubernetes client threw into a {@link K8sOpsError} naming the request: a 403 says which
 * verb on which resource in which namespace is missing, a 409 says the object changed, and so on. Errors that
 * are already K8sOpsErrors pass through; anything unrecognised is returned unchanged (a bug keeps its stack).
 *
 * @example
 * try { await kube.core.readNamespacedSecret({ name, namespace }); }
 * catch (e) { throw toK8sOpsError(e, { verb: 'get', resource: 'secrets', namespace, name }); }
 */
export function toK8sOpsError(error: unknown, request: K8sRequestContext): unknown {
  if (error instanceof K8sOpsError) return error;
  const e = error as { code?: unknown; body?: unknown; headers?: Record<string, string>; cause?: { code?: string } };
  if (typeof e?.code === 'number') {
    const status = e.code;
    const kubeStatus = parseStatus(e.body);
    const serverMessage = kubeStatus?.message ?? '';
    const reason = kubeStatus?.reason;
    const what = describe(request);
    const common = { status, reason, request, cause: undefined };
    switch (true) {
      case status === 403:
        return new K8sOpsError('forbidden', `Forbidden: cannot ${what}${serverMessage ? ` (${serverMessage})` : ''}`, {
          ...common,
          nextSteps: [
            `Grant the identity in your kubeconfig the verb "${request.verb}" on "${request.resource}"${request.namespace ? ` in namespace "${request.namespace}"` : ' cluster-wide'}.`,
            '`matrix-reset rbac` prints the whole Role the plan needs.',
          ],
        });
      case status === 404:
        return new K8sOpsError('not_found', `Not found: ${what}${serverMessage ? ` (${serverMessage})` : ''}`, {
          ...common,
          nextSteps: ['Check the namespace and name in your configuration, and that the kube context points at the right cluster.'],
        });
      case status === 409:
        return new K8sOpsError('conflict', `Conflict: ${what}: ${serverMessage || 'the object was modified concurrently'}`, {
          ...common,
          nextSteps: ['Someone else changed the object meanwhile: read it again and retry, or re-plan if the plan is stale.'],
        });
      case status === 422 || status === 400 || status === 415:
        return new K8sOpsError('invalid', `Rejected as invalid: ${what}: ${serverMessage || `HTTP ${status}`}`, {
          ...common,
          nextSteps: ['The request was malformed for this server; this is likely a bug in matrix-reset or an unsupported API version.'],
        });
      case status === 429:
        return new K8sOpsError('throttled', `Throttled by the API server: ${what}`, {
          ...common,
          retryAfterMs: retryAfter(e.headers),
          nextSteps: ['The API server is shedding load; retry later.'],
        });
      case status >= 500:
        return new K8sOpsError('server_error', `The API server failed: ${what}: ${serverMessage || `HTTP ${status}`}`, {
          ...common,
          nextSteps: ['Retry; if it persists, check the API server and its webhooks.'],
        });
      default:
        return error;
    }
  }
  const networkCode = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  if (typeof networkCode === 'string' && NETWORK_CODES.has(networkCode)) {
    return new K8sOpsError('unreachable', `Cannot reach the Kubernetes API server (${networkCode}) to ${describe(request)}`, {
      request,
      nextSteps: ['Check the kube context (server address, VPN, port-forward) and that the cluster is up.'],
    });
  }
  return error;
}

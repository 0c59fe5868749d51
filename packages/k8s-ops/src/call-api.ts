import { setTimeout as sleep } from 'node:timers/promises';
import { K8sOpsError, toK8sOpsError, type K8sRequestContext } from './k8s-ops-error.ts';

export interface CallOptions {
  /** Safe to repeat (reads, PUT with a precondition, idempotent patches): 429 and 5xx are retried. */
  idempotent: boolean;
  /** Attempts in all, first included (default 5). */
  attempts?: number;
  /** Longest wait honoured from a Retry-After (default 10 s); a longer one fails at once. */
  maxRetryWaitMs?: number;
}

/**
 * Runs one API call, mapping its failure to a {@link K8sOpsError} that names the request, and retrying what is
 * safe to repeat: 429 (honouring Retry-After) and 5xx on idempotent calls, with exponential backoff.
 *
 * @example
 * const sts = await callApi({ verb: 'get', resource: 'statefulsets.apps', namespace, name },
 *   { idempotent: true }, () => kube.apps.readNamespacedStatefulSet({ name, namespace }));
 */
export async function callApi<T>(request: K8sRequestContext, options: CallOptions, fn: () => Promise<T>): Promise<T> {
  const attempts = options.attempts ?? 5;
  const maxWait = options.maxRetryWaitMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const error = toK8sOpsError(raw, request);
      if (!(error instanceof K8sOpsError) || attempt >= attempts) throw error;
      const backoff = Math.min(4000, 100 * 2 ** (attempt - 1));
      let wait: number | undefined;
      if (error.code === 'throttled') wait = error.retryAfterMs ?? backoff;
      else if (error.code === 'server_error' && options.idempotent) wait = backoff;
      else if (error.code === 'unreachable' && options.idempotent && attempt < 3) wait = backoff;
      if (wait === undefined || wait > maxWait) throw error;
      await sleep(wait);
    }
  }
}

/** Runs a read and answers `undefined` for a 404 instead of throwing. */
export async function readOrUndefined<T>(request: K8sRequestContext, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await callApi(request, { idempotent: true }, fn);
  } catch (error) {
    if (error instanceof K8sOpsError && error.code === 'not_found') return undefined;
    throw error;
  }
}

import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from './kube-config.ts';
import { callApi } from './call-api.ts';
import { K8sOpsError, type K8sRequestContext } from './k8s-ops-error.ts';

/** One answer of a condition: done (with a value) or not yet (with what is still awaited). */
export type WaitVerdict<R> = { done: true; value: R } | { done: false; waitingFor: string };

/** Reported on every change while waiting. */
export interface WaitProgress {
  waitingFor: string;
  elapsedMs: number;
}

export interface WaitForObjectsOptions<T extends KubernetesObject, R> {
  /** For errors: the request being watched. */
  request: K8sRequestContext;
  /** Lists the objects (namespace and selectors applied); its `metadata.resourceVersion` starts the watch. */
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** The watch path, e.g. `/api/v1/namespaces/ns/pods`. */
  watchPath: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Decides from the current objects (by name) whether the wait is over. */
  check: (objects: ReadonlyMap<string, T>) => WaitVerdict<R>;
  timeoutMs: number;
  onProgress?: (progress: WaitProgress) => void;
  /** For tests and callers that must stop early. */
  signal?: AbortSignal;
}

/**
 * Waits until `check` is satisfied by a set of objects: lists them, then follows a watch from the list's
 * resourceVersion, resuming after a dropped watch from the last version seen and re-listing on 410 Expired.
 * Fails with a `timeout` K8sOpsError that says what was still awaited when the deadline passes.
 *
 * @example
 * await waitForObjects(kube, {
 *   request: { verb: 'watch', resource: 'pods', namespace },
 *   list: () => kube.core.listNamespacedPod({ namespace, labelSelector: 'app=matrix' }),
 *   watchPath: `/api/v1/namespaces/${namespace}/pods`, labelSelector: 'app=matrix',
 *   check: (pods) => (pods.size === 0 ? { done: true, value: undefined } : { done: false, waitingFor: `${pods.size} pods` }),
 *   timeoutMs: 120_000,
 * });
 */
export async function waitForObjects<T extends KubernetesObject, R>(kube: Kube, options: WaitForObjectsOptions<T, R>): Promise<R> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const objects = new Map<string, T>();
  let lastWaitingFor = 'the first answer from the API server';
  const evaluate = (): WaitVerdict<R> => {
    const verdict = options.check(objects);
    if (!verdict.done && verdict.waitingFor !== lastWaitingFor) {
      lastWaitingFor = verdict.waitingFor;
      options.onProgress?.({ waitingFor: verdict.waitingFor, elapsedMs: Date.now() - started });
    }
    return verdict;
  };
  const timeoutError = () =>
    new K8sOpsError('timeout', `Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${lastWaitingFor}`, {
      request: options.request,
      nextSteps: ['Look at the objects with kubectl (describe, events) to see what holds them up, then run the step again.'],
    });

  const relist = async (): Promise<string | undefined> => {
    const listed = await callApi(options.request, { idempotent: true }, options.list);
    objects.clear();
    for (const item of listed.items) objects.set(item.metadata?.name ?? '', item);
    return listed.metadata?.resourceVersion;
  };

  let resourceVersion = await relist();
  let quietEnds = 0;
  for (;;) {
    const verdict = evaluate();
    if (verdict.done) return verdict.value;
    if (options.signal?.aborted) throw options.signal.reason;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timeoutError();

    // Follow one watch until the condition holds, the watch ends, or the deadline passes.
    const outcome = await new Promise<
      { kind: 'done'; value: R } | { kind: 'failed'; error: unknown } | { kind: 'ended' } | { kind: 'expired' } | { kind: 'timeout' }
    >(
      (resolve) => {
        let settled = false;
        let controller: AbortController | undefined;
        const finish = (result: Parameters<typeof resolve>[0]) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          controller?.abort();
          resolve(result);
        };
        const onAbort = () => finish({ kind: 'ended' });
        const timer = setTimeout(() => finish({ kind: 'timeout' }), remaining);
        options.signal?.addEventListener('abort', onAbort);
        new Watch(kube.config)
          .watch(
            options.watchPath,
            {
              allowWatchBookmarks: true,
              ...(resourceVersion ? { resourceVersion } : {}),
              ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
              ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
              timeoutSeconds: Math.max(1, Math.ceil(remaining / 1000)),
            },
            (phase, obj: T & { code?: number }) => {
              if (phase === 'ERROR') {
                finish(obj.code === 410 ? { kind: 'expired' } : { kind: 'ended' });
                return;
              }
              const rv = obj.metadata?.resourceVersion;
              if (rv) resourceVersion = rv;
              if (phase === 'BOOKMARK') return;
              const name = obj.metadata?.name ?? '';
              if (phase === 'DELETED') objects.delete(name);
              else objects.set(name, obj);
              try {
                const verdict = evaluate();
                if (verdict.done) finish({ kind: 'done', value: verdict.value });
              } catch (error) {
                finish({ kind: 'failed', error });
              }
            },
            (err: { statusCode?: number; code?: number } | null | undefined) =>
              finish(err?.statusCode === 410 || err?.code === 410 ? { kind: 'expired' } : { kind: 'ended' }),
          )
          .then(
            (c) => {
              controller = c;
              if (settled) c.abort();
            },
            (err: { statusCode?: number; code?: number } | null | undefined) =>
              finish(err?.statusCode === 410 || err?.code === 410 ? { kind: 'expired' } : { kind: 'ended' }),
          );
      },
    );
    if (outcome.kind === 'done') return outcome.value;
    if (outcome.kind === 'failed') throw outcome.error;
    if (outcome.kind === 'timeout') {
      const last = evaluate();
      if (last.done) return last.value;
      throw timeoutError();
    }
    if (outcome.kind === 'expired') {
      resourceVersion = await relist();
    } else if (outcome.kind === 'ended') {
      // A dropped or server-closed watch: resume from the last version seen after a short pause; when watches
      // keep ending, list again (which also surfaces a permission or connection problem as an error).
      quietEnds++;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * quietEnds)));
      if (quietEnds % 3 === 0) resourceVersion = await relist();
    }
  }
}

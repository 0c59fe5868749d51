/** Which requests a fault applies to; an omitted field matches anything. */
export interface RequestMatch {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb?: string;
  /** Plural resource, with the subresource when there is one: `pods`, `statefulsets/scale`, `pods/exec`. */
  resource?: string;
  namespace?: string;
  name?: string;
}

/** What a failing request gets. */
export type FaultEffect =
  | { kind: 'status'; code: 409 | 429 | 500 | 503; message?: string; retryAfterSeconds?: number }
  | { kind: 'drop-connection' };

export interface FailRule extends RequestMatch {
  /** How many matching requests fail; then the rule is spent. Default 1. */
  times?: number;
  effect: FaultEffect;
}

/** The request being decided, as the API server sees it. */
export interface RequestFacts {
  verb: string;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
}

function matches(rule: RequestMatch, request: RequestFacts): boolean {
  return (
    (rule.verb === undefined || rule.verb === request.verb) &&
    (rule.resource === undefined || rule.resource === request.resource) &&
    (rule.namespace === undefined || rule.namespace === request.namespace) &&
    (rule.name === undefined || rule.name === request.name)
  );
}

/**
 * Faults to inject into the simulated cluster: failing requests, RBAC denials, slow pod termination, dropped
 * watches. Tests get it from `startKubeSim()`; the API server also serves it on `POST /_kube-sim/faults` (see `fault-routes.ts`).
 *
 * @example
 * sim.faults.failNext({ verb: 'patch', resource: 'statefulsets/scale', times: 2,
 *   effect: { kind: 'status', code: 429, retryAfterSeconds: 1 } });
 * sim.faults.deny({ verb: 'delete', resource: 'persistentvolumeclaims', namespace: 'openmeet-dev' });
 */
export class FaultInjector {
  #fails: (FailRule & { remaining: number })[] = [];
  #denials: RequestMatch[] = [];
  #slowTermination = new Map<string, number>();
  #watchDroppers = new Set<() => void>();
  #onDropWatches: (() => void) | undefined;

  /** Fails the next `times` matching requests with `effect`. */
  failNext(rule: FailRule): void {
    this.#fails.push({ ...rule, remaining: rule.times ?? 1 });
  }

  /** Answers every matching request with an RBAC-shaped 403 until {@link clear}. */
  deny(match: RequestMatch): void {
    this.#denials.push({ ...match });
  }

  /** A pod in `namespace/name` takes `delayMs` longer than its process needs to terminate. */
  slowTermination(options: { namespace: string; name: string; delayMs: number }): void {
    this.#slowTermination.set(`${options.namespace}/${options.name}`, options.delayMs);
  }

  /** Ends every open watch stream now; clients must re-watch (and relist on 410, since history is dropped too). */
  dropWatches(): void {
    for (const drop of [...this.#watchDroppers]) drop();
    this.#onDropWatches?.();
  }

  /** Removes every rule. */
  clear(): void {
    this.#fails = [];
    this.#denials = [];
    this.#slowTermination.clear();
  }

  /** For the server: the fault for this request, consuming one use of a fail rule. */
  takeFailure(request: RequestFacts): FaultEffect | undefined {
    const rule = this.#fails.find((candidate) => candidate.remaining > 0 && matches(candidate, request));
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    this.#fails = this.#fails.filter((candidate) => candidate.remaining > 0);
    return rule.effect;
  }

  /** For the server: whether this request is denied. */
  isDenied(request: RequestFacts): boolean {
    return this.#denials.some((rule) => matches(rule, request));
  }

  /** For the kubelet: extra termination delay for a pod. */
  terminationDelayMs(namespace: string, name: string): number {
    return this.#slowTermination.get(`${namespace}/${name}`) ?? 0;
  }

  /** For the server: registers an open watch; returns the unregister function. */
  trackWatch(drop: () => void): () => void {
    this.#watchDroppers.add(drop);
    return () => this.#watchDroppers.delete(drop);
  }

  /** For the server: called after dropping watches (compacts the history). */
  onDropWatches(callback: () => void): void {
    this.#onDropWatches = callback;
  }
}

import { AppsV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';

/** client-node APIs for a kube-sim kubeconfig. */
export function clientsFor(kubeconfigPath: string): { kc: KubeConfig; core: CoreV1Api; apps: AppsV1Api; watch: Watch } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), watch: new Watch(kc) };
}

/** One event as client-node's `Watch` hands it over. */
export interface SeenEvent {
  type: string;
  object: { kind?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

/** A running client-node watch: the events so far, a promise for its end, and a way to stop it. */
export interface RecordedWatch {
  events: SeenEvent[];
  ended: Promise<unknown>;
  stop: () => void;
}

/** Starts a client-node `Watch` on `path` and records every event. */
export async function recordWatch(watch: Watch, path: string, query: Record<string, string | number | boolean>): Promise<RecordedWatch> {
  const events: SeenEvent[] = [];
  let resolveEnded: (error: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => {
    resolveEnded = resolve;
  });
  const controller = await watch.watch(
    path,
    query,
    (type: string, object: SeenEvent['object']) => events.push({ type, object }),
    (error: unknown) => resolveEnded(error ?? null),
  );
  return { events, ended, stop: () => controller.abort() };
}

/** Polls `read` until it returns something other than `undefined` (or throws after `timeoutMs`). */
export async function eventually<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The HTTP status of a client-node rejection (`ApiException.code`), or throws when the call succeeded. */
export async function failure(call: Promise<unknown>): Promise<{ code: number; status: { reason?: string; message?: string; code?: number; details?: Record<string, unknown> } }> {
  try {
    await call;
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    if (typeof code !== 'number') throw error;
    const status = typeof body === 'string' ? (JSON.parse(body) as Record<string, unknown>) : ((body ?? {}) as Record<string, unknown>);
    return { code, status };
  }
  throw new Error('the call succeeded; a failure was expected');
}

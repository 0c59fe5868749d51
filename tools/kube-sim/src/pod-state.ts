import { createHash } from 'node:crypto';
import { record, records, timestamp, type KubeObject } from './kube-object.ts';

/** True when the pod is Running and its Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  const status = record(pod['status']);
  return status['phase'] === 'Running' && records(status['conditions']).some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

/** True when the pod is being deleted or has finished. */
export function isPodInactive(pod: KubeObject): boolean {
  const phase = record(pod['status'])['phase'];
  return pod.metadata.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed';
}

/** A stable short hash of a pod template (the `pod-template-hash` / `controller-revision-hash` part). */
export function templateHash(template: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
    }
    return value;
  };
  const hex = createHash('sha256').update(JSON.stringify(canonical(template))).digest('hex');
  // The letters Kubernetes' SafeEncodeString uses (no vowels, no look-alikes).
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 10; i += 1) out += alphabet[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % alphabet.length];
  return out;
}

/**
 * A status condition list with `condition` set: transition time kept when status did not change, so an
 * unchanged condition does not rewrite the object.
 */
export function withCondition(conditions: unknown, condition: { type: string; status: string; reason?: string; message?: string }, extra: 'update' | 'probe' = 'probe'): Record<string, unknown>[] {
  const list = records(conditions).map((c) => ({ ...c }));
  const index = list.findIndex((c) => c['type'] === condition.type);
  const previous = index >= 0 ? list[index] : undefined;
  const same = previous !== undefined && previous['status'] === condition.status && previous['reason'] === condition.reason && previous['message'] === condition.message;
  if (same) return list;
  const now = timestamp();
  const next: Record<string, unknown> = {
    type: condition.type,
    status: condition.status,
    ...(extra === 'update' ? { lastUpdateTime: now } : { lastProbeTime: null }),
    lastTransitionTime: previous !== undefined && previous['status'] === condition.status ? previous['lastTransitionTime'] : now,
    ...(condition.reason === undefined ? {} : { reason: condition.reason }),
    ...(condition.message === undefined ? {} : { message: condition.message }),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

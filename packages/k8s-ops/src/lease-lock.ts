import type { V1Lease } from '@kubernetes/client-node';
import { callApi, readOrUndefined } from './call-api.ts';
import { K8sOpsError, isK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';

export interface LeaseLockOptions {
  namespace: string;
  name: string;
  /** Who holds it: shown to anyone refused (e.g. `matrix-reset run 42 on host-a`). */
  holder: string;
  /** How long the lease stays valid without renewal (default 30 s). */
  leaseDurationSeconds?: number;
  /** Renew every this many ms (default a third of the duration). */
  renewEveryMs?: number;
  /** Called once if the lease is lost (a renewal failed or someone took it over): stop work at once. */
  onLost?: (error: K8sOpsError) => void;
  /**
   * Asked when another holder keeps the lease (not expired): true takes it over anyway (for a holder the caller knows
   * is gone). The takeover still carries the resourceVersion read, so it loses to a holder that renewed meanwhile.
   */
  takeOver?: (current: { holder: string; validUntil: string }) => boolean | Promise<boolean>;
}

/** A held lease. */
export interface LeaseLock {
  readonly holder: string;
  /** Whether the lease is still ours as far as the last renewal knows. */
  held(): boolean;
  /** Releases the lease (clears the holder) and stops renewing. */
  release(): Promise<void>;
}

function expired(lease: V1Lease, now: number): boolean {
  const spec = lease.spec;
  if (!spec?.holderIdentity) return true;
  const renewed = spec.renewTime ? new Date(spec.renewTime as unknown as string).getTime() : 0;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now;
}

/**
 * Takes a `coordination.k8s.io/v1` Lease as a lock: creates it, or takes it over when its holder let it expire (or
 * when `takeOver` says so); refuses (`lease_held`, naming the holder and when it expires) while another holder renews it. Every write carries
 * the resourceVersion read, so two contenders cannot both win. The lease is renewed in the background until released.
 *
 * @example
 * const lock = await acquireLeaseLock(kube, { namespace: 'openmeet-dev', name: 'matrix-reset', holder: 'run r20260101t120000_3fa9c2d1' });
 * try { await scaleStatefulSet(kube, { namespace: 'openmeet-dev', name: 'matrix', replicas: 0 }); } finally { await lock.release(); }
 */
export async function acquireLeaseLock(kube: Kube, options: LeaseLockOptions): Promise<LeaseLock> {
  const { namespace, name, holder } = options;
  const duration = options.leaseDurationSeconds ?? 30;
  const request = { verb: 'update', resource: 'leases.coordination.k8s.io', namespace, name };
  const now = new Date();
  const spec = { holderIdentity: holder, leaseDurationSeconds: duration, acquireTime: now, renewTime: now };
  const existing = await readOrUndefined({ ...request, verb: 'get' }, () => kube.coordination.readNamespacedLease({ name, namespace }));
  let lease: V1Lease;
  const validUntil = (current: V1Lease | undefined) =>
    current?.spec?.renewTime
      ? new Date(new Date(current.spec.renewTime as unknown as string).getTime() + (current.spec.leaseDurationSeconds ?? 0) * 1000).toISOString()
      : 'unknown';
  const refused = (current: V1Lease | undefined, cause?: unknown) => {
    const until = validUntil(current);
    return new K8sOpsError('lease_held', `Lease ${namespace}/${name} is held by "${current?.spec?.holderIdentity ?? 'another holder'}" (valid until ${until})`, {
      request,
      cause,
      nextSteps: ['Another run holds the lock: wait for it to finish (see `matrix-reset status`), or, if it died, wait for the lease to expire.'],
    });
  };
  try {
    if (existing === undefined) {
      lease = await callApi({ ...request, verb: 'create' }, { idempotent: false }, () =>
        kube.coordination.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { ...spec, leaseTransitions: 0 } } }),
      );
    } else {
      const current = existing.spec?.holderIdentity;
      if (current && current !== holder && !expired(existing, now.getTime()) && !(await options.takeOver?.({ holder: current, validUntil: validUntil(existing) }))) throw refused(existing);
      lease = await callApi(request, { idempotent: true }, () =>
        kube.coordination.replaceNamespacedLease({
          name,
          namespace,
          body: { ...existing, spec: { ...spec, leaseTransitions: (existing.spec?.leaseTransitions ?? 0) + 1 } },
        }),
      );
    }
  } catch (error) {
    if (isK8sOpsError(error, 'conflict')) {
      const current = await readOrUndefined({ ...request, verb: 'get' }, () => kube.coordination.readNamespacedLease({ name, namespace }));
      throw refused(current, error);
    }
    throw error;
  }

  let held = true;
  let renewing: Promise<void> = Promise.resolve();
  const lose = (error: K8sOpsError) => {
    if (!held) return;
    held = false;
    clearInterval(timer);
    options.onLost?.(error);
  };
  const renew = async () => {
    try {
      lease = await callApi(request, { idempotent: true, attempts: 2 }, () =>
        kube.coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease.spec, renewTime: new Date() } } }),
      );
    } catch (error) {
      lose(
        new K8sOpsError('lease_lost', `Lost lease ${namespace}/${name}: ${error instanceof Error ? error.message : String(error)}`, {
          request,
          cause: error,
          nextSteps: ['Another process may have taken over; stop, check `matrix-reset status`, then resume.'],
        }),
      );
    }
  };
  const timer = setInterval(() => {
    renewing = renewing.then(renew);
  }, options.renewEveryMs ?? Math.max(1000, (duration * 1000) / 3));
  timer.unref();

  return {
    holder,
    held: () => held,
    release: async () => {
      clearInterval(timer);
      await renewing;
      if (!held) return;
      held = false;
      try {
        await callApi(request, { idempotent: true, attempts: 2 }, () =>
          kube.coordination.replaceNamespacedLease({
            name,
            namespace,
            body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined } },
          }),
        );
      } catch (error) {
        // Someone else holds it now, or it is gone: either way it is not ours any more.
        if (!isK8sOpsError(error, 'conflict', 'not_found')) throw error;
      }
    },
  };
}

import { beforeAll, describe, expect, it } from 'vitest';
import { K8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { acquireLeaseLock } from './lease-lock.ts';
import { freshNamespace, testKube } from './test-support/kube-env.ts';

let kube: Kube;
beforeAll(() => {
  kube = testKube();
});

describe('acquireLeaseLock', () => {
  it('lets one holder in, refuses a second naming the first, and lets the second in after release', async () => {
    const namespace = await freshNamespace(kube);
    const first = await acquireLeaseLock(kube, { namespace, name: 'matrix-reset', holder: 'run-1' });
    const refused = (await acquireLeaseLock(kube, { namespace, name: 'matrix-reset', holder: 'run-2' }).catch((e: unknown) => e)) as K8sOpsError;
    expect(refused.code).toBe('lease_held');
    expect(refused.message).toContain('held by "run-1"');
    await first.release();
    const second = await acquireLeaseLock(kube, { namespace, name: 'matrix-reset', holder: 'run-2' });
    expect(second.held()).toBe(true);
    await second.release();
  });

  it('takes a held lease over only when takeOver says so, naming the holder it asks about', async () => {
    const namespace = await freshNamespace(kube);
    const first = await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'gone-holder', renewEveryMs: 60_000 });
    const asked: string[] = [];
    const refused = await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'next', takeOver: ({ holder }) => (asked.push(holder), false) }).catch((e: unknown) => e);
    expect((refused as K8sOpsError).code).toBe('lease_held');
    const lost: K8sOpsError[] = [];
    const next = await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'next', takeOver: ({ holder, validUntil }) => (asked.push(`${holder} ${validUntil}`), true), onLost: (e) => lost.push(e) });
    expect(asked[0]).toBe('gone-holder');
    expect(asked[1]).toMatch(/^gone-holder \d{4}-\d\d-\d\dT/);
    expect((await kube.coordination.readNamespacedLease({ namespace, name: 'lock' })).spec?.holderIdentity).toBe('next');
    await next.release();
    await first.release();
    expect(lost).toEqual([]);
  });

  it('takes over a lease whose holder stopped renewing it', async () => {
    const namespace = await freshNamespace(kube);
    const crashed = await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'crashed', leaseDurationSeconds: 1, renewEveryMs: 60_000 });
    expect(crashed.held()).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    const lost: K8sOpsError[] = [];
    const next = await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'next', onLost: (e) => lost.push(e) });
    const lease = await kube.coordination.readNamespacedLease({ namespace, name: 'lock' });
    expect(lease.spec?.holderIdentity).toBe('next');
    expect(lease.spec?.leaseTransitions).toBe(1);
    await next.release();
    expect(lost).toEqual([]);
  });

  it('keeps the lease alive by renewing it', async () => {
    const namespace = await freshNamespace(kube);
    const lock = await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'long-run', leaseDurationSeconds: 1, renewEveryMs: 200 });
    await new Promise((r) => setTimeout(r, 1_500));
    const refused = (await acquireLeaseLock(kube, { namespace, name: 'lock', holder: 'other' }).catch((e: unknown) => e)) as K8sOpsError;
    expect(refused.code).toBe('lease_held');
    await lock.release();
  });
});

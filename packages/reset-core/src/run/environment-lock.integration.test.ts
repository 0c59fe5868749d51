import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createKube, loadKubeConfig, type Kube } from '@matrix-reset/k8s-ops';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isResetError } from '../reset-error.ts';
import { ensureTestDb } from '../test-support/ensure-fixtures.ts';
import { withEnvironmentLock } from './environment-lock.ts';

const db = ensureTestDb(4);
let kube: Kube;

beforeAll(() => {
  const kubeconfig = process.env['KUBECONFIG'];
  if (!kubeconfig) throw new Error('KUBECONFIG is not set: run through the reset-core vitest config (kube-sim global setup)');
  kube = createKube(loadKubeConfig({ kubeconfigPath: kubeconfig }));
});
afterAll(async () => {
  await db.destroy();
});

/** A namespace holding a `matrix-reset` Lease that `holder` renewed just now, valid five minutes. */
async function leaseHeldBy(holder: string): Promise<string> {
  const namespace = `lock-${randomBytes(4).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const now = new Date();
  await kube.coordination.createNamespacedLease({ namespace, body: { metadata: { name: 'matrix-reset' }, spec: { holderIdentity: holder, leaseDurationSeconds: 300, acquireTime: now, renewTime: now } } });
  return namespace;
}

/** The holder a process of this host named for itself before it was killed (SIGKILL: no release, the Lease stays). */
function killedHolder(): string {
  const script = `import('${new URL('./lock-holder.ts', import.meta.url).href}').then((m) => { process.stdout.write(m.defaultHolder()); process.kill(process.pid, 'SIGKILL'); })`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.signal).toBe('SIGKILL');
  return child.stdout;
}

describe('the environment lock after its holder died', () => {
  it('takes the Lease of a killed process of this host over at once, and says so', async () => {
    const dead = killedHolder();
    const namespace = await leaseHeldBy(dead);
    const takeovers: unknown[] = [];

    const ran = await withEnvironmentLock(db, { environment: namespace, kubernetes: { kube, namespace }, onTakeOver: (event) => takeovers.push(event) }, async () => 'ran');

    expect(ran).toBe('ran');
    expect(takeovers).toEqual([{ holder: dead, reason: 'holder-gone' }]);
  });

  it('refuses a live foreign holder, saying until when and how to take over, and takes over when asked by name', async () => {
    const foreign = 'matrix-reset on ops-laptop pid 4242 start 1@1';
    const namespace = await leaseHeldBy(foreign);

    const refused = await withEnvironmentLock(db, { environment: namespace, kubernetes: { kube, namespace } }, async () => 'ran').catch((caught: unknown) => caught);
    expect(isResetError(refused, 'locked')).toBe(true);
    expect((refused as Error).message).toContain(`held by "${foreign}" (valid until 20`);
    expect((refused as { nextSteps: string[] }).nextSteps.join(' ')).toContain('--take-over-lock');

    const wrongName = await withEnvironmentLock(db, { environment: namespace, kubernetes: { kube, namespace }, takeOverFrom: 'someone else' }, async () => 'ran').catch((caught: unknown) => caught);
    expect(isResetError(wrongName, 'locked')).toBe(true);

    const takeovers: unknown[] = [];
    const ran = await withEnvironmentLock(db, { environment: namespace, kubernetes: { kube, namespace }, takeOverFrom: foreign, onTakeOver: (event) => takeovers.push(event) }, async () => 'ran');
    expect(ran).toBe('ran');
    expect(takeovers).toEqual([{ holder: foreign, reason: 'asked' }]);
  });
});

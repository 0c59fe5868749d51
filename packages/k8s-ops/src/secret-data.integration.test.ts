import { beforeAll, describe, expect, it } from 'vitest';
import { K8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';
import { readKey, writeKey } from './secret-data.ts';
import { freshNamespace, testKube } from './test-support/kube-env.ts';

let kube: Kube;
beforeAll(() => {
  kube = testKube();
});

describe('writeKey on a Secret', () => {
  it('changes one key and keeps the others, and writes nothing when the value is already there', async () => {
    const namespace = await freshNamespace(kube);
    await kube.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'api' }, stringData: { MATRIX_ADMIN_ACCESS_TOKEN: 'old-token', DATABASE_URL: 'postgres://x' } },
    });
    const first = await writeKey(kube, { namespace, name: 'api', key: 'MATRIX_ADMIN_ACCESS_TOKEN', value: 'new-token' });
    expect(first).toMatchObject({ changed: true, previous: 'old-token' });
    const secret = await kube.core.readNamespacedSecret({ namespace, name: 'api' });
    expect(Buffer.from(secret.data?.['MATRIX_ADMIN_ACCESS_TOKEN'] ?? '', 'base64').toString()).toBe('new-token');
    expect(Buffer.from(secret.data?.['DATABASE_URL'] ?? '', 'base64').toString()).toBe('postgres://x');

    const again = await writeKey(kube, { namespace, name: 'api', key: 'MATRIX_ADMIN_ACCESS_TOKEN', value: 'new-token' });
    expect(again).toEqual({ changed: false, resourceVersion: first.resourceVersion, previous: 'new-token' });
    expect(await readKey(kube, { namespace, name: 'api', key: 'MATRIX_ADMIN_ACCESS_TOKEN' })).toMatchObject({ exists: true, value: 'new-token' });
  });

  it('refuses to write over a change made since it was read', async () => {
    const namespace = await freshNamespace(kube);
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'api' }, stringData: { K: 'a' } } });
    const read = await readKey(kube, { namespace, name: 'api', key: 'K' });
    await writeKey(kube, { namespace, name: 'api', key: 'K', value: 'someone-else' });
    const error = await writeKey(kube, { namespace, name: 'api', key: 'K', value: 'ours', expectedResourceVersion: read.resourceVersion! }).catch((e: unknown) => e);
    expect((error as K8sOpsError).code).toBe('stale_precondition');
    expect((await readKey(kube, { namespace, name: 'api', key: 'K' })).value).toBe('someone-else');
  });

  it('refuses a Secret External Secrets manages, saying to write the source and force a sync', async () => {
    const namespace = await freshNamespace(kube);
    await kube.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'synced', labels: { 'reconcile.external-secrets.io/managed': 'true' } }, stringData: { K: 'from-ssm' } },
    });
    const error = (await writeKey(kube, { namespace, name: 'synced', key: 'K', value: 'direct' }).catch((e: unknown) => e)) as K8sOpsError;
    expect(error.code).toBe('managed_secret');
    expect(error.nextSteps.join('\n')).toMatch(/force a sync/);
    expect((await readKey(kube, { namespace, name: 'synced', key: 'K' })).value).toBe('from-ssm');
  });

  it('never puts a value in an error message', async () => {
    const namespace = await freshNamespace(kube);
    const error = (await writeKey(kube, { namespace, name: 'missing', key: 'K', value: 'secret-value-123' }).catch((e: unknown) => e)) as K8sOpsError;
    expect(error.code).toBe('not_found');
    expect(`${error.message} ${error.nextSteps.join(' ')} ${String(error.stack)}`).not.toContain('secret-value-123');
  });
});

describe('writeKey on a ConfigMap', () => {
  it('creates the ConfigMap when asked and removes a key with null', async () => {
    const namespace = await freshNamespace(kube);
    await writeKey(kube, { kind: 'ConfigMap', namespace, name: 'cfg', key: 'MATRIX_ADMIN_USER', value: '@admin:example', create: true });
    await writeKey(kube, { kind: 'ConfigMap', namespace, name: 'cfg', key: 'OTHER', value: 'x' });
    await writeKey(kube, { kind: 'ConfigMap', namespace, name: 'cfg', key: 'OTHER', value: null });
    const cm = await kube.core.readNamespacedConfigMap({ namespace, name: 'cfg' });
    expect(cm.data).toEqual({ MATRIX_ADMIN_USER: '@admin:example' });
  });
});

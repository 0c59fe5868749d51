import { randomBytes } from 'node:crypto';
import { createKube, loadKubeConfig, type Kube } from '@matrix-reset/k8s-ops';
import { beforeAll, describe, expect, it } from 'vitest';
import { k8sSecretStore } from './k8s-secret-store.ts';
import { SecretsError } from './secrets-error.ts';

let kube: Kube;
beforeAll(() => {
  const path = process.env['KUBECONFIG'];
  if (!path) throw new Error('KUBECONFIG is not set: run through scripts/test or nx test (kube-sim global setup)');
  kube = createKube(loadKubeConfig({ kubeconfigPath: path }));
});

async function namespaceWithSecret(data: Record<string, string>, labels: Record<string, string> = {}): Promise<string> {
  const namespace = `secrets-${randomBytes(4).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'api', labels }, stringData: data } });
  return namespace;
}

const decoded = async (namespace: string, name: string) => {
  const secret = await kube.core.readNamespacedSecret({ namespace, name });
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
};

describe('k8sSecretStore', () => {
  it('writes one key, keeps the others, and keeps the replaced value in a backup Secret in the cluster', async () => {
    const namespace = await namespaceWithSecret({ MATRIX_ADMIN_ACCESS_TOKEN: 'syt_old_token', DATABASE_URL: 'postgres://db' });
    const store = k8sSecretStore({ kube, namespace, name: 'api', key: 'MATRIX_ADMIN_ACCESS_TOKEN' });
    const before = await store.read();
    expect(before.value?.reveal()).toBe('syt_old_token');

    const result = await store.write('syt_new_token', { expectedVersion: before.version! });
    expect(result.changed).toBe(true);
    expect(await decoded(namespace, 'api')).toEqual({ MATRIX_ADMIN_ACCESS_TOKEN: 'syt_new_token', DATABASE_URL: 'postgres://db' });
    expect(await decoded(namespace, 'api-matrix-reset-backup')).toEqual({ MATRIX_ADMIN_ACCESS_TOKEN: 'syt_old_token' });
    expect((await store.readPrevious()).value?.reveal()).toBe('syt_old_token');

    expect((await store.write('syt_new_token')).changed).toBe(false);

    await store.restorePrevious();
    expect((await store.read()).value?.reveal()).toBe('syt_old_token');
    expect((await store.readPrevious()).value?.reveal()).toBe('syt_new_token');
  });

  it('refuses to write over a change made since the read (version_conflict), writing nothing', async () => {
    const namespace = await namespaceWithSecret({ K: 'first' });
    const store = k8sSecretStore({ kube, namespace, name: 'api', key: 'K' });
    const seen = await store.read();
    await store.write('second');
    const error = (await store.write('third', { expectedVersion: seen.version! }).catch((e: unknown) => e)) as SecretsError;
    expect(error).toBeInstanceOf(SecretsError);
    expect(error.code).toBe('version_conflict');
    expect((await store.read()).value?.reveal()).toBe('second');
  });

  it('refuses a Secret External Secrets manages and says to write the source instead', async () => {
    const namespace = await namespaceWithSecret({ K: 'from-ssm' }, { 'reconcile.external-secrets.io/managed': 'true' });
    const store = k8sSecretStore({ kube, namespace, name: 'api', key: 'K' });
    const error = (await store.write('direct-write').catch((e: unknown) => e)) as SecretsError;
    expect(error.code).toBe('managed_externally');
    expect(error.nextSteps.join(' ')).toMatch(/force a sync/);
    expect((await store.read()).value?.reveal()).toBe('from-ssm');
  });

  it('says there is nothing to restore before any write, and never shows a value in an error', async () => {
    const namespace = await namespaceWithSecret({ K: 'value-one' });
    const store = k8sSecretStore({ kube, namespace, name: 'api', key: 'K' });
    expect(((await store.restorePrevious().catch((e: unknown) => e)) as SecretsError).code).toBe('no_previous_version');
    const missing = k8sSecretStore({ kube, namespace, name: 'absent', key: 'K' });
    const error = (await missing.write('super-secret-value').catch((e: unknown) => e)) as SecretsError;
    expect(error.code).toBe('not_found');
    const text = `${error.message} ${error.nextSteps.join(' ')} ${String(error.stack)} ${JSON.stringify(error)}`;
    expect(text).not.toContain('super-secret-value');
    expect(store.describe()).not.toContain('value-one');
  });
});

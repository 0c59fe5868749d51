import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K8sOpsError } from './k8s-ops-error.ts';
import { createKube, loadKubeConfig } from './kube-config.ts';

async function kubeconfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-ops-kc-'));
  const file = join(dir, 'config');
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
      contexts: [
        { name: 'dev', context: { cluster: 'c', user: 'u', namespace: 'openmeet-dev' } },
        { name: 'prod', context: { cluster: 'c', user: 'u', namespace: 'openmeet-prod' } },
      ],
      'current-context': 'prod',
    }),
  );
  return file;
}

describe('loadKubeConfig', () => {
  it('refuses a current context that is not on the allow-list, before any request', async () => {
    const file = await kubeconfig();
    const attempt = () => loadKubeConfig({ kubeconfigPath: file, allowedContexts: ['dev'] });
    expect(attempt).toThrow(K8sOpsError);
    expect(attempt).toThrow(/"prod" is not allowed/);
  });
  it('selects an allowed context and takes its namespace as the default', async () => {
    const kube = createKube(loadKubeConfig({ kubeconfigPath: await kubeconfig(), context: 'dev', allowedContexts: ['dev'] }));
    expect(kube.config.getCurrentContext()).toBe('dev');
    expect(kube.defaultNamespace).toBe('openmeet-dev');
  });
  it('names the contexts there are when asked for a missing one', async () => {
    expect(() => loadKubeConfig({ kubeconfigPath: '/nonexistent/kubeconfig' })).toThrow(/Cannot load the kubeconfig/);
    const file = await kubeconfig();
    try {
      loadKubeConfig({ kubeconfigPath: file, context: 'staging' });
      expect.unreachable();
    } catch (error) {
      expect((error as K8sOpsError).code).toBe('context_missing');
      expect((error as K8sOpsError).nextSteps).toEqual(['Use one of: dev, prod.']);
    }
  });
});

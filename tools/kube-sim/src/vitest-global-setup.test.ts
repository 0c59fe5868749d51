import { describe, expect, it } from 'vitest';
import setup from './vitest-global-setup.ts';
import { kubectl } from './test-support/kubectl.ts';

describe('kube-sim Vitest global setup', () => {
  it('starts an empty cluster with the CRDs, exports KUBECONFIG and KUBE_SIM_FAULTS_URL, and stops it in teardown', async () => {
    const saved = { KUBECONFIG: process.env['KUBECONFIG'], KUBE_SIM_FAULTS_URL: process.env['KUBE_SIM_FAULTS_URL'] };
    delete process.env['KUBECONFIG'];
    delete process.env['KUBE_SIM_FAULTS_URL'];
    const teardown = await setup();
    try {
      const kubeconfig = process.env['KUBECONFIG'] ?? '';
      expect(process.env['KUBE_SIM_FAULTS_URL']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/_kube-sim\/faults$/);
      const crds = await kubectl(kubeconfig, ['get', 'crd', '-o', 'name']);
      expect(crds.stdout).toContain('externalsecrets.external-secrets.io');
      expect(crds.stdout).toContain('volumesnapshots.snapshot.storage.k8s.io');
      expect((await kubectl(kubeconfig, ['get', 'statefulsets', '-A', '-o', 'name'])).stdout).toBe('');
    } finally {
      await teardown?.();
      Object.assign(process.env, saved);
      for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name];
    }
    expect(process.env['KUBECONFIG']).toBe(saved.KUBECONFIG);
  });

  it('reuses a running kube-sim when both variables are set', async () => {
    const saved = { KUBECONFIG: process.env['KUBECONFIG'], KUBE_SIM_FAULTS_URL: process.env['KUBE_SIM_FAULTS_URL'] };
    process.env['KUBECONFIG'] = '/nonexistent/kubeconfig';
    process.env['KUBE_SIM_FAULTS_URL'] = 'https://127.0.0.1:1/_kube-sim/faults';
    try {
      expect(await setup()).toBeUndefined();
      expect(process.env['KUBECONFIG']).toBe('/nonexistent/kubeconfig');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

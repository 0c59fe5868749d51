import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_KUBE_SCENARIO, startKubeSimProcess } from '@matrix-reset/sandbox';

/** What this setup exports (and reuses when the test script's `sandbox up --with kube` already did). */
export const KUBE_SIM_ENV = Object.freeze(['KUBECONFIG', 'KUBE_SIM_FAULTS_URL']);

/**
 * Vitest global setup for libraries tested against a Kubernetes API (packages/k8s-ops lists it after the
 * sandbox's): reuses `KUBECONFIG` and `KUBE_SIM_FAULTS_URL` when both are set, otherwise starts kube-sim as a
 * child process with an empty cluster (ExternalSecret and VolumeSnapshot CRDs served; ExternalSecrets read the
 * sandbox's SSM through the inherited `AWS_ENDPOINT_URL_SSM`) and exports both before the test workers fork.
 * Tests authorize fault injection (`POST $KUBE_SIM_FAULTS_URL`) with the kubeconfig's bearer token.
 *
 * @example
 * // packages/k8s-ops/vitest.config.ts
 * test: { globalSetup: [sandboxGlobalSetup, '../../tools/kube-sim/src/vitest-global-setup.ts'] }
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (KUBE_SIM_ENV.every((name) => (process.env[name] ?? '') !== '')) return undefined;
  const stateDir = await mkdtemp(join(tmpdir(), 'kube-sim-vitest-'));
  const kube = await startKubeSimProcess({ stateDir: join(stateDir, 'kube'), scenario: NO_KUBE_SCENARIO, env: process.env });
  const previous = new Map(KUBE_SIM_ENV.map((name) => [name, process.env[name]]));
  process.env['KUBECONFIG'] = kube.kubeconfig;
  process.env['KUBE_SIM_FAULTS_URL'] = kube.faultsUrl;
  return async () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await kube.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
}

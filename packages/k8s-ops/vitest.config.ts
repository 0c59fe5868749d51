import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// Integration tests run against kube-sim (KUBECONFIG, KUBE_SIM_FAULTS_URL); its External Secrets controller reads
// the sandbox's moto, so the sandbox services start first.
export default defineConfig(projectTestConfig({ root: import.meta.dirname, services: true, kube: true, testTimeout: 120_000 }));

import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// Integration tests run against kube-sim (KUBECONFIG, KUBE_SIM_FAULTS_URL); no other service is needed.
export default defineConfig(projectTestConfig({ root: import.meta.dirname, kube: true, testTimeout: 120_000 }));

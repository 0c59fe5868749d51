import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// kube-sim starts its own Synapse pods from the venv; the sandbox's services give it moto (SSM) for the
// ExternalSecret controller.
export default defineConfig(projectTestConfig({ root: import.meta.dirname, services: true, testTimeout: 120_000 }));

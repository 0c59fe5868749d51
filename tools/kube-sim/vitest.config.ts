import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// kube-sim starts its own Synapse pods from the venv; it needs no shared sandbox services.
export default defineConfig(projectTestConfig({ root: import.meta.dirname, testTimeout: 120_000 }));

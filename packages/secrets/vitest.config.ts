import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// SSM tests use the sandbox's moto; the Kubernetes Secret store's tests use kube-sim.
export default defineConfig(projectTestConfig({ root: import.meta.dirname, services: true, kube: true }));

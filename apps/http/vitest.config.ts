import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

export default defineConfig(projectTestConfig({ root: import.meta.dirname, services: true, kube: true, testTimeout: 60_000 }));

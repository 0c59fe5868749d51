import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// The demo starts a sandbox of its own (its own state directory): it needs none of the shared test services.
export default defineConfig(projectTestConfig({ root: import.meta.dirname, testTimeout: 120_000 }));

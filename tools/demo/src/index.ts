export { runDemo, type DemoOptions, type DemoSummary, type DemoScenario, type DemoDoctorSummary, type DemoStepTiming } from './demo.ts';
export { writeDemoConfig } from './demo-config.ts';
export { findRepositoryRoot, runSandboxCli, type DemoSandboxRecord } from './demo-sandbox.ts';
export { renderDemoSummary } from './demo-summary-text.ts';

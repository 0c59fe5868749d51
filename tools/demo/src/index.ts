export { runDemo, type DemoOptions, type DemoSummary, type DemoScenario, type DemoDoctorSummary, type DemoStepTiming, type DemoSynapseDatabase } from './demo.ts';
export { DEMO_SHAPES, type DemoShapeName } from './demo-shape.ts';
export { writeDemoConfig } from './demo-config.ts';
export { POSTGRES_NAMESPACE, POSTGRES_SSM_TOKEN, POSTGRES_SSM_USER, POSTGRES_SYNAPSE, writeDemoPostgresConfig } from './demo-postgres-config.ts';
export { findRepositoryRoot, runSandboxCli, type DemoSandboxRecord } from './demo-sandbox.ts';
export { renderDemoSummary } from './demo-summary-text.ts';

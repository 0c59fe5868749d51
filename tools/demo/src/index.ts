export { runDemo, type DemoOptions, type DemoSummary, type DemoScenario, type DemoDoctorSummary, type DemoStepTiming, type DemoSynapseDatabase } from './demo.ts';
export { DEMO_SHAPES, type DemoShape, type DemoShapeName, type DemoShapeSandbox } from './demo-shape.ts';
export { postgresShape } from './demo-shape-postgres.ts';
export { sqliteShape } from './demo-shape-sqlite.ts';
export { writeDemoConfig, writeSandboxConfig } from './demo-config.ts';
export { POSTGRES_NAMESPACE, POSTGRES_SSM_TOKEN, POSTGRES_SSM_USER, POSTGRES_SYNAPSE, writeDemoPostgresConfig } from './demo-postgres-config.ts';
export { findRepositoryRoot, runSandboxCli, type DemoSandboxRecord } from './demo-sandbox.ts';
export { renderDemoSummary } from './demo-summary-text.ts';

/**
 * @matrix-reset/sandbox: real Synapse (plain, delegated-auth, and on request on its own Postgres database), Postgres
 * and SSM (moto) on free loopback ports, for tests and demos.
 *
 * @example
 * import { startSandbox } from '@matrix-reset/sandbox';
 * const sandbox = await startSandbox({ services: ['synapse', 'postgres', 'ssm'] });
 * process.env = { ...process.env, ...sandbox.env };
 * await sandbox.stop();
 */
export { startSandbox } from './sandbox.ts';
export type {
  Sandbox,
  SandboxEndpoints,
  SandboxProvider,
  SandboxService,
  StartSandboxOptions,
  SynapseEndpoint,
  SynapsePostgresDatabase,
} from './sandbox-types.ts';
export { DEFAULT_SERVICES, SANDBOX_SERVICES } from './sandbox-types.ts';
export { SANDBOX_ENV_NAMES, formatEnvFile, parseEnvFile, type SandboxEnvName } from './sandbox-env.ts';
export { SandboxError, isSandboxError, type SandboxErrorCode } from './sandbox-error.ts';
export { readSecretFile } from './secret-file.ts';
export { selectProvider, containerRuntimeReachable } from './provider-selection.ts';
export { readSandboxRecord, type SandboxRecord } from './sandbox-record.ts';
export { sandboxStatus, stopSandboxIn, type SandboxStatus } from './sandbox-control.ts';
export { DEFAULT_SERVER_NAME, SYNAPSE_POSTGRES_SERVER_NAME } from './process-provider.ts';
export { TEST_ONLY_SYNAPSE_SETTINGS, mergeConfig } from './synapse-config.ts';
// Building blocks reused by tools/kube-sim (which runs pods as supervised processes and renders Synapse configs).
export { spawnSupervised, type SupervisedProcess, type SupervisedProcessOptions, type ProcessExit } from './child-process-supervisor.ts';
export { freePort } from './free-port.ts';
export { synapseVenv } from './synapse-process.ts';
export { renderSynapseConfig, renderSynapseLogConfig, toYaml, type SynapseConfigOptions } from './synapse-config.ts';
export { waitUntil, type WaitUntilOptions } from './wait-until.ts';
// kube-sim as a child process (its own Vitest global setup uses it; no import of kube-sim, so no cycle).
export { startKubeSimProcess, kubeApiAnswers, NO_KUBE_SCENARIO, type KubeSimProcessOptions, type KubeSimService } from './kube-sim-process.ts';

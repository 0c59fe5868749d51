import type { Kube } from '@matrix-reset/k8s-ops';
import type { EnvironmentConfig, EnvironmentConnection } from '@matrix-reset/reset-core';

/** The Synapse deployments the demo can run on: `sqlite` (openmeet-dev, the runbook's), `postgres` (the ananace chart's). */
export const DEMO_SHAPES = ['sqlite', 'postgres'] as const;
export type DemoShapeName = (typeof DEMO_SHAPES)[number];

/** Where the sandbox's services are, as the shape needs them to write its config. */
export interface DemoShapeSandbox {
  readonly stateDir: string;
  readonly kube: Kube;
  readonly kubeconfig: string;
  /** The sandbox's variables (DATABASE_URL, the AWS ones, KUBECONFIG). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * One Synapse deployment the demo runs its story on: the kube-sim scenario, the matrix-reset.yaml for it, its
 * incident, and what to show and explore. The story itself (seed, doctor, plan, apply, verify, repair) is the same.
 */
export interface DemoShape {
  readonly name: DemoShapeName;
  /** kube-sim's scenario (`sandbox up --kube-scenario`). */
  readonly kubeScenario: string;
  /** What the sandbox runs, for the first progress line. */
  readonly sandboxDescription: string;
  readonly namespace: string;
  /** SSM parameters of the admin token and user (the ExternalSecret syncs them into openmeet-api-secrets). */
  readonly ssm: { readonly token: string; readonly user: string };
  /** Synapse's claim: its SQLite database's volume, or its media store's. */
  readonly claim: string;
  /** Whether Synapse keeps its data in Postgres (the doctor then reports the database, the summary what became of it). */
  readonly postgres: boolean;
  /** Writes the shape's matrix-reset.yaml to `path` and returns its environment. */
  writeConfig(path: string, sandbox: DemoShapeSandbox): Promise<EnvironmentConfig>;
  /** Waits until every Synapse process is ready. */
  waitForSynapse(kube: Kube): Promise<void>;
  readonly incident: {
    readonly title: string;
    /** The progress line announcing it. */
    readonly announce: string;
    /** Breaks Synapse as the incident does; resolves to what was done, for the summary. */
    cause(kube: Kube, connection: EnvironmentConnection, say: (message: string) => void): Promise<string>;
  };
  /** Shell lines to explore the environment afterwards. */
  explore(stateDir: string, configFile: string): readonly string[];
}

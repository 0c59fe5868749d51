import { z } from 'zod';
import type { SynapseDatabaseObservation } from '../observe/observe-synapse-database.ts';
import { STEP_KINDS, type StepKind } from '../steps/step-kinds.ts';


/**
 * The plan file format this code writes and reads. 2: Synapse's workload by kind (StatefulSet or Deployment) and its
 * workers (format 1 named a StatefulSet only; such a plan is refused: make a new one).
 */
export const PLAN_VERSION = 2;

/**
 * What a plan does: mint new tokens for users the server still has (`repair`), wipe Synapse and clear the app's
 * credentials (`full-reset`), or bring a working admin and its token back to every target without touching anything
 * else (`restore-admin`: the admin token died, the stored credentials did not).
 */
export type PlanMode = 'repair' | 'full-reset' | 'restore-admin';

/**
 * The state a plan depends on, as it was when it was made: versions, counts and checksums, never a value. Apply
 * reads the same things again and refuses the plan when any differs (but for the figures that change by themselves,
 * listed in plan-freshness: a Postgres database's size, its sessions and the other databases on its server).
 */
export interface PlanObserved {
  readonly synapse: { readonly serverVersion: string; readonly authMode: string };
  readonly storage: {
    readonly engine: string;
    readonly pvcDeletionWipesUsers: boolean | 'unknown';
    /** A Postgres-backed Synapse's database (where, its shape, the role's rights, its schema version), or why it could not be reached. */
    readonly database?: SynapseDatabaseObservation;
  };
  readonly kubernetes:
    | {
        readonly namespace: string;
        /** Synapse's main process. */
        readonly workload: PlanWorkload;
        /** Synapse's workers (scaled to 0 before it, back after it). */
        readonly workers: readonly PlanWorkload[];
        readonly pvc: { readonly name: string | undefined; readonly exists: boolean; readonly resourceVersion: string | undefined };
        readonly volumeSnapshotsSupported: boolean;
        /** The workloads restarted after the token is written; their spec's generation (undefined: not there). */
        readonly restart: readonly { readonly kind: string; readonly name: string; readonly generation: number | undefined }[];
      }
    | undefined;
  readonly secrets: readonly { readonly role: string; readonly reference: string; readonly exists: boolean; readonly version: string | undefined }[];
  readonly appDatabase: {
    readonly layout: string;
    readonly schemas: readonly { readonly schema: string; readonly rows: number; readonly withCredentials: number; readonly checksum: string | undefined }[];
  };
}

/** A Deployment or StatefulSet a plan scales, as it observed it. */
export interface PlanWorkload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  /**
   * `metadata.generation`: it moves when the spec changes (an edit, a scale), not when the status does (a pod
   * restarting), so a plan goes stale on what it relies on only.
   */
  readonly generation: number;
  readonly replicas: number;
}

/** One step: what it does, what it relies on, whether (and how) it can be undone. */
export interface PlanStep {
  /** Unique in the plan, stable: the journal keys on it (`01-snapshot-credentials`). */
  readonly id: string;
  readonly kind: StepKind;
  readonly description: string;
  /** The facts this step relies on (counts, names, versions), for the reader. */
  readonly observed: Readonly<Record<string, string | number | boolean | null>>;
  readonly undoable: boolean;
  readonly undo?: string;
}

/** A frozen, secret-free reset plan. */
export interface Plan {
  readonly version: typeof PLAN_VERSION;
  readonly id: string;
  readonly environment: string;
  readonly mode: PlanMode;
  readonly createdAt: string;
  /** Why this mode (the doctor's reason, or the operator's choice). */
  readonly reason: string;
  readonly warnings: readonly string[];
  readonly observed: PlanObserved;
  readonly steps: readonly PlanStep[];
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const optionalString = z.string().optional();

const optionalNumber = z.number().optional();

const synapseDatabaseEndpointSchema = z.strictObject({
  host: optionalString,
  port: optionalNumber,
  database: optionalString,
  user: optionalString,
  from: z.enum(['url', 'homeserver.yaml']),
  overridden: z.array(z.enum(['host', 'port', 'user', 'password'])),
  password: z.enum(['none', 'homeserver.yaml', 'synapse.database.password', 'synapse.database.url']),
  tls: z.enum(['off', 'unverified', 'verified']),
});

const synapseDatabaseSchema = z.discriminatedUnion('reachable', [
  z.strictObject({
    reachable: z.literal(true),
    endpoint: synapseDatabaseEndpointSchema,
    server: z.strictObject({ version: z.string(), versionNum: z.number().int() }),
    database: z.strictObject({ name: z.string(), owner: z.string(), encoding: z.string(), collate: z.string(), ctype: z.string(), sizeBytes: z.number() }),
    role: z.strictObject({ name: z.string(), superuser: z.boolean(), createDatabase: z.boolean(), ownsDatabase: z.boolean(), notOwnedSchemas: z.array(z.string()) }),
    connections: z.number().int(),
    otherDatabases: z.strictObject({ count: z.number().int(), names: z.array(z.string()) }),
    schema: z.discriminatedUnion('state', [
      z.strictObject({ state: z.literal('present'), version: z.number().int() }),
      z.strictObject({ state: z.literal('absent') }),
      z.strictObject({ state: z.literal('unreadable'), code: z.string() }),
    ]),
  }),
  z.strictObject({ reachable: z.literal(false), endpoint: synapseDatabaseEndpointSchema.optional(), error: z.strictObject({ code: z.string(), message: z.string() }) }),
]);

const planWorkloadSchema = z.strictObject({ kind: z.enum(['Deployment', 'StatefulSet']), name: z.string(), generation: z.number().int(), replicas: z.number().int() });

const observedSchema = z.strictObject({
  synapse: z.strictObject({ serverVersion: z.string(), authMode: z.string() }),
  storage: z.strictObject({ engine: z.string(), pvcDeletionWipesUsers: z.union([z.boolean(), z.literal('unknown')]), database: synapseDatabaseSchema.optional() }),
  kubernetes: z
    .strictObject({
      namespace: z.string(),
      workload: planWorkloadSchema,
      workers: z.array(planWorkloadSchema),
      pvc: z.strictObject({ name: optionalString, exists: z.boolean(), resourceVersion: optionalString }),
      volumeSnapshotsSupported: z.boolean(),
      restart: z.array(z.strictObject({ kind: z.string(), name: z.string(), generation: optionalNumber })),
    })
    .optional(),
  secrets: z.array(z.strictObject({ role: z.string(), reference: z.string(), exists: z.boolean(), version: optionalString })),
  appDatabase: z.strictObject({
    layout: z.string(),
    schemas: z.array(z.strictObject({ schema: z.string(), rows: z.number().int(), withCredentials: z.number().int(), checksum: optionalString })),
  }),
});

const stepSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  kind: z.enum(STEP_KINDS),
  description: z.string(),
  observed: z.record(z.string(), scalar),
  undoable: z.boolean(),
  undo: z.string().optional(),
});

export const planSchema = z.strictObject({
  version: z.literal(PLAN_VERSION),
  id: z.string().regex(/^p[a-z0-9_]+$/),
  environment: z.string().min(1),
  mode: z.enum(['repair', 'full-reset', 'restore-admin']),
  createdAt: z.iso.datetime(),
  reason: z.string(),
  warnings: z.array(z.string()),
  observed: observedSchema,
  steps: z.array(stepSchema),
});

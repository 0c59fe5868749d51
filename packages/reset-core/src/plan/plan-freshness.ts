import { DEFAULT_OWN_SCHEMA, liveChecksums } from '@matrix-reset/user-creds';
import type { EnvironmentConfig } from '../config/reset-config.ts';
import { observe, type ObserveDependencies, type Observation, type WorkloadObservation } from '../observe/observe.ts';
import type { PlanObserved, PlanWorkload } from './plan-model.ts';

/*
 * A plan's freshness: what it observed (versions, counts, checksums, never a value), read again at apply time and
 * compared field by field, so apply refuses a plan whose world changed.
 */

function planWorkload(w: WorkloadObservation): PlanWorkload {
  return { kind: w.kind, name: w.name, generation: w.generation, replicas: w.replicas };
}

/**
 * The part of an observation a plan depends on (versions, counts, checksums), in the plan's form.
 *
 * @example
 * const observed = planObserved(await observe(env, deps), await liveChecksums(ctx));
 */
export function planObserved(observation: Observation, checksums: Readonly<Record<string, string>> = {}): PlanObserved {
  const k = observation.kubernetes;
  const inventory = new Map(observation.appDatabase.inventory.map((i) => [i.schema, i]));
  return {
    // Not the base URL: through a port-forward it changes with every connection.
    synapse: { serverVersion: observation.synapse.serverVersion, authMode: observation.synapse.authMode },
    storage: {
      engine: observation.storage.engine,
      pvcDeletionWipesUsers: observation.storage.pvcDeletionWipesUsers,
      ...(observation.synapseDatabase === undefined ? {} : { database: observation.synapseDatabase }),
    },
    kubernetes:
      k === undefined
        ? undefined
        : {
            namespace: k.namespace,
            workload: planWorkload(k.workload),
            workers: k.workers.map(planWorkload),
            pvc: { name: k.pvc.name, exists: k.pvc.state?.exists ?? false, resourceVersion: k.pvc.state?.resourceVersion },
            volumeSnapshotsSupported: k.volumeSnapshotsSupported,
            restart: k.restart.map((r) => ({ kind: r.kind, name: r.name, generation: r.generation })),
          },
    secrets: observation.secrets.map((s) => ({ role: s.role, reference: s.reference, exists: s.exists, version: s.version })),
    appDatabase: {
      layout: observation.appDatabase.layout,
      schemas: observation.appDatabase.schemas
        .filter((s) => s.usable)
        .map((s) => ({
          schema: s.schema,
          rows: inventory.get(s.schema)?.rows ?? s.rowCount ?? 0,
          withCredentials: inventory.get(s.schema)?.withCredentials ?? 0,
          checksum: checksums[s.schema],
        })),
    },
  };
}

/**
 * Reads the state a plan depends on: {@link observe} plus the live checksums of the credential columns.
 *
 * @example
 * const { observation, observed } = await observePlanState(env, connection);
 */
export async function observePlanState(env: EnvironmentConfig, deps: ObserveDependencies): Promise<{ observation: Observation; observed: PlanObserved }> {
  const observation = await observe(env, deps);
  const checksums = await liveChecksums({ db: deps.db, layout: env.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA });
  return { observation, observed: planObserved(observation, checksums) };
}

/**
 * Observed for the reader, not compared: they change by themselves while Synapse runs (its database grows, its
 * sessions come and go, other databases on the server are not the plan's business).
 */
const UNCOMPARED = ['storage.database.database.sizeBytes', 'storage.database.connections', 'storage.database.otherDatabases'] as const;

function compared(path: string): boolean {
  return !UNCOMPARED.some((skipped) => path === skipped || path.startsWith(`${skipped}.`) || path.startsWith(`${skipped}[`));
}

/** One difference between what a plan observed and what is there now. */
export interface ObservedChange {
  readonly path: string;
  readonly planned: string;
  readonly now: string;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value === null || value === undefined || typeof value !== 'object') {
    out.set(prefix, value === undefined ? '(absent)' : JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    // Keyed lists (by schema, reference, name) compare by key, so a reordering is no change.
    for (const [index, item] of value.entries()) {
      const record = item as Record<string, unknown> | null;
      const key = typeof item === 'string' ? item : record?.['schema'] ?? (record?.['reference'] !== undefined ? `${String(record['role'])}:${String(record['reference'])}` : undefined) ?? record?.['name'] ?? index;
      flatten(item, `${prefix}[${String(key)}]`, out);
    }
    if (value.length === 0) out.set(`${prefix}[]`, 'empty');
    return;
  }
  for (const [key, inner] of Object.entries(value)) flatten(inner, prefix === '' ? key : `${prefix}.${key}`, out);
}

/**
 * What changed between two observed states, field by field (`appDatabase.schemas[tenant_a].checksum`), leaving out
 * the figures that change by themselves (a Postgres-backed Synapse's database size, its sessions, the other databases
 * on its server).
 *
 * @example
 * const { observed } = await observePlanState(env, connection);
 * const changes = diffObserved(plan.observed, observed); // [] when the plan still holds
 */
export function diffObserved(planned: PlanObserved, now: PlanObserved): ObservedChange[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(planned, '', a);
  flatten(now, '', b);
  const changes: ObservedChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (!compared(path)) continue;
    const was = a.get(path) ?? '(absent)';
    const is = b.get(path) ?? '(absent)';
    if (was !== is) changes.push({ path, planned: was, now: is });
  }
  return changes.sort((x, y) => (x.path < y.path ? -1 : 1));
}

import { sql } from 'kysely';
import { DEFAULT_OWN_SCHEMA, type AnyKysely } from '@matrix-reset/user-creds';
import { migrateOwnTables } from './migrations.ts';
import { parsePlan, serializePlan } from '../plan/plan-file.ts';
import { planChecksum } from '../plan/plan-freeze.ts';
import type { Plan } from '../plan/plan-model.ts';

/** A plan kept in the app database so that any instance of the service can apply it. */
export interface StoredPlan {
  readonly plan: Plan;
  /** `sha256:...` of the plan (see `planChecksum`), checked again on every read. */
  readonly checksum: string;
  readonly createdAt: Date;
  /** Who asked for it (a token's name): never a credential. */
  readonly createdBy: string;
}

/** Saves and reads frozen plans; see {@link openPlanStore}. */
export interface PlanStore {
  /** Stores a plan under its id (a plan id is unique: storing the same plan twice is a no-op). */
  save(plan: Plan, options: { createdBy: string }): Promise<StoredPlan>;
  /** The plan, checked against its stored checksum (a row edited in the database is refused with `stale_plan`); `undefined` when unknown. */
  get(planId: string): Promise<StoredPlan | undefined>;
}

interface PlanRow {
  id: string;
  environment: string;
  checksum: string;
  body: unknown;
  created_at: Date;
  created_by: string;
}

/**
 * Opens the plan store in the app database (schema `matrix_reset`, table `plan`), migrating it first. The HTTP
 * service keeps the plans it makes there, so that a `POST /v1/runs` on any instance finds them.
 *
 * @example
 * ```ts
 * const plans = await openPlanStore(connection.db);
 * const { plan } = await planEnvironment(env, connection);
 * await plans.save(plan, { createdBy: 'ops-token' });
 * const again = await plans.get(plan.id); // same plan, checksum verified
 * ```
 */
export async function openPlanStore(db: AnyKysely, options: { ownSchema?: string } = {}): Promise<PlanStore> {
  const own = options.ownSchema ?? DEFAULT_OWN_SCHEMA;
  await migrateOwnTables(db, { ownSchema: own });
  const table = sql.id(own, 'plan');

  const toStored = (row: PlanRow): StoredPlan => {
    const plan = parsePlan(JSON.stringify({ plan: row.body, checksum: row.checksum }), { source: `stored plan ${row.id}` });
    return Object.freeze({ plan, checksum: row.checksum, createdAt: row.created_at, createdBy: row.created_by });
  };

  return Object.freeze({
    async save(plan, saveOptions) {
      const checksum = planChecksum(plan);
      // The body is the plan as the plan file holds it (undefined members left out), so its checksum matches on read.
      const body = (JSON.parse(serializePlan(plan)) as { plan: unknown }).plan;
      await sql`
        INSERT INTO ${table} (id, environment, checksum, body, created_by)
        VALUES (${plan.id}, ${plan.environment}, ${checksum}, ${JSON.stringify(body)}::jsonb, ${saveOptions.createdBy})
        ON CONFLICT (id) DO NOTHING`.execute(db);
      const row = (await sql<PlanRow>`SELECT * FROM ${table} WHERE id = ${plan.id}`.execute(db)).rows[0];
      if (row === undefined) throw new Error(`plan ${plan.id} was not stored`);
      if (row.checksum !== checksum) throw new Error(`plan id ${plan.id} is already stored with another checksum`);
      return toStored(row);
    },
    async get(planId) {
      const row = (await sql<PlanRow>`SELECT * FROM ${table} WHERE id = ${planId}`.execute(db)).rows[0];
      return row === undefined ? undefined : toStored(row);
    },
  } satisfies PlanStore);
}

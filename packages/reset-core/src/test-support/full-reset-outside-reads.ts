import { createHmac } from 'node:crypto';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { sql } from 'kysely';
import type { AnyKysely } from '@matrix-reset/user-creds';
import { createSynapseClient, isSynapseClientError } from '@matrix-reset/synapse-admin';
import type { FullResetSandbox } from './plan-full-reset-sandbox.ts';

/*
 * What a full reset left behind, read from outside the process that ran it: Synapse's own APIs through a fresh
 * port-forward, SSM's parameter history, the cluster's objects, the journal and snapshot rows in Postgres. Shared by
 * the library's end-state test and the CLI's chaos test (which kills the real processes).
 */

/** Whom Synapse says `token` belongs to, or `M_UNKNOWN_TOKEN`. */
export async function tokenOwner(baseUrl: string, token: string): Promise<string> {
  try {
    return (await createSynapseClient({ baseUrl }).withAccessToken(token).whoami()).userId;
  } catch (error) {
    if (isSynapseClientError(error, 'unknown_token')) return 'M_UNKNOWN_TOKEN';
    throw error;
  }
}

/** The password bootstrap-admin derives for run `runId`'s admin: an HMAC of the shared secret (to check it is dead, and never printed). */
export function bootstrapPassword(sandbox: FullResetSandbox, runId: string, adminUserId: string): string {
  return createHmac('sha256', sandbox.sharedSecret).update(`matrix-reset bootstrap ${runId} ${adminUserId}`).digest('base64url');
}

/** Whether the password bootstrap-admin derives for run `runId` still logs `adminUserId` in. */
export async function bootstrapPasswordLogsIn(sandbox: FullResetSandbox, runId: string, adminUserId: string): Promise<boolean> {
  const password = bootstrapPassword(sandbox, runId, adminUserId);
  const user = /^@([^:]+):/.exec(adminUserId)?.[1] ?? adminUserId;
  return sandbox.withSynapse(async (url) => {
    try {
      await createSynapseClient({ baseUrl: url }).loginWithPassword({ user, password });
      return true;
    } catch (error) {
      if (isSynapseClientError(error, 'invalid_credentials') || isSynapseClientError(error, 'forbidden')) return false;
      throw error;
    }
  });
}

/** Every user of the sandbox's Synapse as its admin API lists them (with `adminToken`), sorted by id. */
export async function synapseUsers(sandbox: FullResetSandbox, adminToken: string): Promise<{ userId: string; admin: boolean }[]> {
  return sandbox.withSynapse(async (url) => {
    const users: { userId: string; admin: boolean }[] = [];
    for await (const user of createSynapseClient({ baseUrl: url }).withAccessToken(adminToken).admin.listUsers({ limit: 100 })) users.push({ userId: user.userId, admin: user.admin });
    return users.sort((x, y) => x.userId.localeCompare(y.userId));
  });
}

/** The device ids of `userId` as Synapse's admin API lists them (with `adminToken`), and which of them `adminToken` is. */
export async function synapseDevices(sandbox: FullResetSandbox, adminToken: string, userId: string): Promise<{ devices: string[]; adminTokenDevice: string | undefined }> {
  return sandbox.withSynapse(async (url) => {
    const admin = createSynapseClient({ baseUrl: url }).withAccessToken(adminToken);
    const devices = (await admin.admin.listDevices(userId)).map((device) => device.deviceId).sort();
    return { devices, adminTokenDevice: (await admin.whoami()).deviceId ?? undefined };
  });
}

/**
 * Whether `userId` exists on the Synapse at `baseUrl`, asked without any token: its public profile
 * (`GET /_matrix/client/v3/profile/{userId}`, 200 or 404; Synapse serves profiles without auth by default).
 */
export async function matrixUserExists(baseUrl: string, userId: string): Promise<boolean> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/profile/${encodeURIComponent(userId)}`);
  await response.body?.cancel();
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw new Error(`GET profile of ${userId} answered ${response.status}`);
}

/** One key of a Secret in the sandbox's namespace, decoded, or undefined when the Secret or key is missing. */
export async function secretKey(sandbox: FullResetSandbox, name: string, key: string): Promise<string | undefined> {
  const secret = await sandbox.kube.core.readNamespacedSecret({ namespace: sandbox.namespace, name }).catch(() => undefined);
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

/** The versions SSM keeps of the parameter an `ssm:` reference names, oldest first (its GetParameterHistory). */
export async function ssmParameterVersions(reference: string): Promise<number[]> {
  if (!reference.startsWith('ssm:')) throw new Error(`not an ssm: reference: ${reference}`);
  const ssm = new SSMClient({});
  try {
    const versions: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ssm.send(new GetParameterHistoryCommand({ Name: reference.slice('ssm:'.length), NextToken: nextToken }));
      for (const parameter of page.Parameters ?? []) versions.push(parameter.Version ?? 0);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return versions.sort((x, y) => x - y);
  } finally {
    ssm.destroy();
  }
}

/** The uid of Synapse's claim (`data-matrix-0`), or undefined while there is none. */
export async function synapseClaimUid(sandbox: FullResetSandbox): Promise<string | undefined> {
  const claims = await sandbox.kube.core.listNamespacedPersistentVolumeClaim({ namespace: sandbox.namespace });
  return claims.items.find((claim) => claim.metadata?.name === 'data-matrix-0' && claim.metadata.deletionTimestamp == null)?.metadata?.uid;
}

/** The VolumeSnapshots in the sandbox's namespace, by name (none where the cluster serves no VolumeSnapshots). */
export async function volumeSnapshotNames(sandbox: FullResetSandbox): Promise<string[]> {
  try {
    const list = (await sandbox.kube.custom.listNamespacedCustomObject({ group: 'snapshot.storage.k8s.io', version: 'v1', namespace: sandbox.namespace, plural: 'volumesnapshots' })) as {
      items?: { metadata?: { name?: string } }[];
    };
    return (list.items ?? []).map((item) => item.metadata?.name ?? '').sort();
  } catch (error) {
    if ((error as { code?: number }).code === 404) return [];
    throw error;
  }
}

/** One step of a run as the journal holds it. */
export interface JournaledStep {
  readonly position: number;
  readonly kind: string;
  readonly state: string;
  readonly attempts: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly detail: unknown;
}

/** The run's state and its journaled steps in plan order, straight from `matrix_reset.run` and `run_step`. */
export async function journaledRun(db: AnyKysely, runId: string): Promise<{ state: string | undefined; steps: JournaledStep[] }> {
  const run = await sql<{ state: string }>`SELECT state FROM matrix_reset.run WHERE id = ${runId}`.execute(db);
  const steps = await sql<JournaledStep>`
    SELECT position, kind, state, attempts, started_at::text AS "startedAt", finished_at::text AS "finishedAt", detail
    FROM matrix_reset.run_step WHERE run_id = ${runId} ORDER BY position`.execute(db);
  return { state: run.rows[0]?.state, steps: steps.rows };
}

/** The runs the journal holds for an environment, newest first (none before the first apply made the journal). */
export async function journaledRunIds(db: AnyKysely, environment: string): Promise<string[]> {
  const journal = await sql<{ present: boolean }>`SELECT to_regclass('matrix_reset.run') IS NOT NULL AS present`.execute(db);
  if (journal.rows[0]?.present !== true) return [];
  const rows = await sql<{ id: string }>`SELECT id FROM matrix_reset.run WHERE environment = ${environment} ORDER BY created_at DESC`.execute(db);
  return rows.rows.map((row) => row.id);
}

/** The journal rows of a run (run, steps, rollback steps) as text, to scan for secrets. */
export async function journalText(db: AnyKysely, runId: string): Promise<string> {
  const rows = await sql<{ t: string | null }>`
    SELECT coalesce((SELECT row_to_json(r)::text FROM matrix_reset.run r WHERE id = ${runId}), '') ||
           coalesce((SELECT string_agg(row_to_json(s)::text, '') FROM matrix_reset.run_step s WHERE run_id = ${runId}), '') ||
           coalesce((SELECT string_agg(row_to_json(s)::text, '') FROM matrix_reset.rollback_step s WHERE run_id = ${runId}), '') AS t`.execute(db);
  return rows.rows[0]?.t ?? '';
}

/**
 * The credential snapshots user-creds recorded for a run (one catalog row per schema), each with the rows its backup
 * table holds in key order (every column but the key: `user_id`, `access_token`, `device_id`, then the layout's extra
 * and jsonb columns) and how many backup tables of this run exist.
 */
export async function credentialSnapshots(
  db: AnyKysely,
  runId: string,
): Promise<{ catalog: { schema: string; rowCount: number; rows: Record<string, unknown>[] }[]; backupTables: number }> {
  const catalog = await sql<{ source_schema: string; backup_table: string; row_count: string }>`
    SELECT source_schema, backup_table, row_count FROM matrix_reset.snapshot WHERE run_id = ${runId} ORDER BY source_schema`.execute(db);
  const out: { schema: string; rowCount: number; rows: Record<string, unknown>[] }[] = [];
  for (const entry of catalog.rows) {
    const rows = await sql<{ row: Record<string, unknown> }>`SELECT to_jsonb(b) - 'k' AS row FROM ${sql.id('matrix_reset', entry.backup_table)} b ORDER BY b.k`.execute(db);
    out.push({ schema: entry.source_schema, rowCount: Number(entry.row_count), rows: rows.rows.map((r) => r.row) });
  }
  const tables = await sql<{ n: string }>`
    SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'matrix_reset' AND starts_with(table_name, ${`s_${runId}_`})`.execute(db);
  return { catalog: out, backupTables: Number(tables.rows[0]?.n ?? 0) };
}

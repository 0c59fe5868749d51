import { createHmac, randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { Kube } from '@matrix-reset/k8s-ops';
import { isSecretsError, parseSecretReference, type SecretStore } from '@matrix-reset/secrets';
import { createSynapseClient, isSynapseClientError, type SynapseClient } from '@matrix-reset/synapse-admin';
import { createUserCreds } from '@matrix-reset/user-creds';
import { doctor } from '../doctor/doctor.ts';
import {
  deletePersistentVolumeClaim,
  execInPod,
  forceExternalSecretSync,
  portForwardToPod,
  readKey,
  rolloutRestart,
  scaleStatefulSet,
  snapshotPersistentVolumeClaim,
  waitForRollout,
  waitForStatefulSetPodsGone,
  waitForStatefulSetReady,
} from '../connection/k8s-ops-lazy.ts';
import type { StepKind } from '../plan/plan-model.ts';
import type { KubernetesTarget } from '../config/reset-config.ts';
import { ResetError } from '../reset-error.ts';
import type { StepContext, StepDetail, StepExecutor } from './step-repair.ts';

/*
 * The full-reset steps of the runbook: scale Synapse down, delete its claim, scale it up on an empty one, bootstrap
 * a new admin, store its token everywhere the app reads it, restart the app, clear the app's stored credentials.
 *
 * The admin token is the one value a crash could lose: Synapse hands it out once, at registration, and a second
 * registration of the same name yields no token. So `bootstrap-admin` registers AND stores the token in the first
 * adminToken target (the primary) in the same step; `write-admin-token` copies the primary's token to every other
 * target. To survive a crash between registration and that first write, the registration password is derived from
 * the shared secret and the run id (HMAC, never stored, no weaker than the shared secret itself, which can register
 * admins anyway): a resumed step logs in once with it. Once the token is stored, the password is replaced by a random
 * one nobody keeps.
 */

interface KubeAccess {
  readonly kube: Kube;
  readonly target: KubernetesTarget;
}

function kubeAccess(context: StepContext): KubeAccess {
  const target = context.environment.kubernetes;
  if (target === undefined || context.kube === undefined) {
    throw new ResetError('unsupported', `Step ${context.step.id} needs the Kubernetes target of ${context.environment.name}, and there is none`, {
      nextSteps: ['Add a kubernetes: section to the environment, or follow this step of the runbook by hand.'],
    });
  }
  return { kube: context.kube, target };
}

function observedString(context: StepContext, key: string): string | undefined {
  const value = context.step.observed[key];
  return typeof value === 'string' && value !== '' && value !== '(none)' ? value : undefined;
}

function claimName(context: StepContext, target: KubernetesTarget): string {
  const name = observedString(context, 'pvc') ?? target.pvc;
  if (name === undefined) {
    throw new ResetError('unsupported', `The plan names no claim for StatefulSet ${target.namespace}/${target.statefulSet}`, {
      nextSteps: ['Set kubernetes.pvc in the config, make a new plan, and apply that one.'],
    });
  }
  return name;
}

/** A DNS-1123 name for the run's VolumeSnapshot of a claim. */
export function volumeSnapshotName(runId: string, claim: string): string {
  return `mr-${runId}-${claim}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 253)
    .replace(/-+$/, '');
}

/** A new connection to Synapse (the pod may be new: a fresh port-forward), closed by the caller. */
async function openSynapse(context: StepContext, accessToken?: string): Promise<{ client: SynapseClient; close: () => Promise<void> }> {
  const synapse = context.environment.synapse;
  const token = accessToken === undefined ? {} : { accessToken };
  if (synapse.url !== undefined) {
    return { client: createSynapseClient({ baseUrl: synapse.url, serverName: synapse.serverName, ...token }), close: async () => undefined };
  }
  const forward = synapse.portForward;
  const { kube, target } = kubeAccess(context);
  if (forward === undefined) throw new Error('config invariant: synapse has neither url nor portForward');
  const handle = await portForwardToPod(kube, { namespace: target.namespace, pod: forward.pod, port: forward.port });
  return { client: createSynapseClient({ baseUrl: handle.url, serverName: synapse.serverName, ...token }), close: () => handle.close() };
}

async function withSynapse<T>(context: StepContext, accessToken: string | undefined, fn: (client: SynapseClient) => Promise<T>): Promise<T> {
  const { client, close } = await openSynapse(context, accessToken);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

function store(context: StepContext, reference: string): SecretStore {
  return context.openSecretStore(reference);
}

async function readValue(context: StepContext, reference: string): Promise<string | undefined> {
  const reading = await store(context, reference).read();
  const value = reading.value?.reveal();
  return reading.exists && value !== undefined && value.length > 0 ? value : undefined;
}

/** True when `token` is an access token of the configured admin that the admin API accepts. */
async function isAdminToken(client: SynapseClient, token: string, adminUserId: string): Promise<boolean> {
  const asAdmin = client.withAccessToken(token);
  try {
    if ((await asAdmin.whoami()).userId !== adminUserId) return false;
    await asAdmin.admin.getUser(adminUserId);
    return true;
  } catch (error) {
    for (const code of ['unknown_token', 'token_soft_logout', 'user_deactivated', 'not_admin', 'forbidden'] as const) if (isSynapseClientError(error, code)) return false;
    throw error;
  }
}

/**
 * The registration shared secret: from the environment's `synapse.sharedSecret` reference, or, when there is none and
 * homeserver.yaml lives in the pod, its inline `registration_shared_secret` (read by exec).
 */
async function sharedSecret(context: StepContext): Promise<string> {
  const synapse = context.environment.synapse;
  if (synapse.sharedSecret !== undefined) {
    const value = await readValue(context, synapse.sharedSecret);
    if (value !== undefined) return value;
    throw new ResetError('config_invalid', `${synapse.sharedSecret} (synapse.sharedSecret of ${context.environment.name}) holds no value`, {
      nextSteps: ['Point synapse.sharedSecret at where the registration shared secret is kept, then resume the run.'],
    });
  }
  const source = synapse.homeserverConfig ?? (context.environment.kubernetes ? { pod: '/data/homeserver.yaml' } : undefined);
  if (source !== undefined && 'pod' in source) {
    const { kube, target } = kubeAccess(context);
    const pod = synapse.portForward?.pod ?? `${target.statefulSet}-0`;
    const result = await execInPod(kube, { namespace: target.namespace, pod, command: ['cat', source.pod] });
    const parsed: unknown = result.exitCode === 0 ? parseYaml(result.stdout) : undefined;
    const value = (parsed as { registration_shared_secret?: unknown } | undefined)?.registration_shared_secret;
    if (typeof value === 'string' && value.length > 0) return value;
  }
  throw new ResetError('config_invalid', `No registration shared secret for ${context.environment.name}: synapse.sharedSecret is not set and homeserver.yaml has no inline registration_shared_secret`, {
    nextSteps: ['Set synapse.sharedSecret to where the secret is kept (k8s-secret:, ssm:, file:, env:), then resume the run.'],
  });
}

function localpart(userId: string): string {
  return /^@([^:]+):/.exec(userId)?.[1] ?? userId;
}

/** Every store an admin token or admin user id is written to, in config order (user ids after their token). */
function targetReferences(context: StepContext): { reference: string; role: 'admin-token' | 'admin-user' }[] {
  return context.environment.adminToken.flatMap((t) => [
    { reference: t.token, role: 'admin-token' as const },
    ...(t.user === undefined ? [] : [{ reference: t.user, role: 'admin-user' as const }]),
  ]);
}

function primaryTarget(context: StepContext): { token: string; user: string | undefined } {
  const primary = context.environment.adminToken[0];
  if (primary === undefined) throw new Error('config invariant: at least one adminToken target');
  return primary;
}

/** Records the version every admin token/user target holds now (each store keeps the previous value on write). */
const backupSecrets: StepExecutor = async (context) => {
  const detail: Record<string, string | number> = {};
  for (const { reference } of targetReferences(context)) {
    const opened = store(context, reference);
    if (!opened.writable) {
      throw new ResetError('config_invalid', `${reference} is read-only, and the full reset writes the new admin token there`, {
        nextSteps: ['Point adminToken at writable stores (ssm:, k8s-secret:, dotenv:), make a new plan, and apply that one.'],
      });
    }
    const reading = await opened.read();
    detail[reference] = reading.exists ? (reading.version ?? 'unversioned') : 'absent';
  }
  return { targets: Object.keys(detail).length, ...detail };
};

/** A VolumeSnapshot of the claim named after the run, waited on until readyToUse; an existing one is reused. */
const volumeSnapshot: StepExecutor = async (context) => {
  const { kube, target } = kubeAccess(context);
  const claim = claimName(context, target);
  const snapshotName = volumeSnapshotName(context.runId, claim);
  const snapshot = await snapshotPersistentVolumeClaim(kube, {
    namespace: target.namespace,
    claim,
    snapshotName,
    onProgress: (p) => context.onProgress?.(`${context.step.id}: waiting for ${p.waitingFor}`),
  });
  return { snapshot: snapshotName, readyToUse: snapshot.status?.readyToUse === true, restoreSize: snapshot.status?.restoreSize ?? null };
};

const scaleDown: StepExecutor = async (context) => {
  const { kube, target } = kubeAccess(context);
  const ref = { namespace: target.namespace, name: target.statefulSet };
  const scaled = await scaleStatefulSet(kube, { ...ref, replicas: 0 });
  await waitForStatefulSetPodsGone(kube, { ...ref, onProgress: (p) => context.onProgress?.(`${context.step.id}: waiting for ${p.waitingFor}`) });
  return { previousReplicas: scaled.previousReplicas, replicas: 0, changed: scaled.changed };
};

/**
 * Deletes the claim the plan observed (by uid: a claim of the same name created since is not ours) and waits until it
 * is gone. Refuses while the StatefulSet still has pods (the claim would be held, or recreated).
 */
const deletePvc: StepExecutor = async (context) => {
  const { kube, target } = kubeAccess(context);
  const claim = claimName(context, target);
  const ref = { namespace: target.namespace, name: target.statefulSet };
  const statefulSet = await kube.apps.readNamespacedStatefulSet(ref);
  if ((statefulSet.spec?.replicas ?? 0) !== 0) {
    throw new ResetError('step_failed', `StatefulSet ${ref.namespace}/${ref.name} is scaled to ${statefulSet.spec?.replicas ?? 0}, not 0: its claim is not deleted`, {
      nextSteps: ['Someone scaled it up during the run: scale it to 0 (or find out why), then resume the run.'],
    });
  }
  await waitForStatefulSetPodsGone(kube, ref);
  const expectedUid = observedString(context, 'uid');
  const result = await deletePersistentVolumeClaim(kube, {
    namespace: target.namespace,
    name: claim,
    ...(expectedUid === undefined ? {} : { expectedUid }),
    onProgress: (p) => context.onProgress?.(`${context.step.id}: waiting for ${p.waitingFor}`),
  });
  return { pvc: claim, alreadyGone: result.alreadyGone, checkedUid: expectedUid !== undefined };
};

const scaleUp: StepExecutor = async (context) => {
  const { kube, target } = kubeAccess(context);
  const replicas = typeof context.step.observed['replicas'] === 'number' ? context.step.observed['replicas'] : 1;
  const ref = { namespace: target.namespace, name: target.statefulSet };
  const scaled = await scaleStatefulSet(kube, { ...ref, replicas });
  const ready = await waitForStatefulSetReady(kube, { ...ref, onProgress: (p) => context.onProgress?.(`${context.step.id}: waiting for ${p.waitingFor}`) });
  return { replicas, readyReplicas: ready.status?.readyReplicas ?? 0, changed: scaled.changed };
};

/**
 * Registers the admin on the fresh Synapse and stores its token in the primary adminToken target in the same step
 * (see the top of this file for why). Resumed after the token was stored, it keeps it; resumed after registration but
 * before the write, it logs in once with the run's derived password and revokes the devices of the earlier attempts
 * (their tokens were never stored).
 */
const bootstrapAdmin: StepExecutor = async (context) => {
  const adminUserId = context.environment.synapse.adminUserId;
  const primary = primaryTarget(context);
  return withSynapse(context, undefined, async (client) => {
    const stored = await readValue(context, primary.token);
    if (stored !== undefined && (await isAdminToken(client, stored, adminUserId))) {
      const userWritten = primary.user === undefined ? false : (await store(context, primary.user).write(adminUserId)).changed;
      return { adminUserId, action: 'kept', tokenWritten: false, userWritten, passwordRotated: false, strayDevicesRevoked: 0 };
    }
    const secret = await sharedSecret(context);
    const bootstrapPassword = createHmac('sha256', secret).update(`matrix-reset bootstrap ${context.runId} ${adminUserId}`).digest('base64url');
    const username = localpart(adminUserId);
    const registered = await client.registerWithSharedSecret({ sharedSecret: secret, username, password: bootstrapPassword, admin: true, existsOk: true });
    let token: string;
    let action: string;
    if (registered.created && registered.accessToken !== undefined) {
      token = registered.accessToken;
      action = 'registered';
    } else {
      try {
        token = (await client.loginWithPassword({ user: username, password: bootstrapPassword })).accessToken;
      } catch (error) {
        if (isSynapseClientError(error, 'invalid_credentials') || isSynapseClientError(error, 'forbidden')) {
          throw new ResetError('step_failed', `${adminUserId} already exists on the new Synapse but was not registered by run ${context.runId}, and no adminToken target holds a working token for it`, {
            nextSteps: [
              'Check that the claim really was deleted (an old admin would mean the data survived).',
              `If someone else registered it: store a working admin token for ${adminUserId} in ${primary.token}, then resume the run.`,
            ],
            cause: error,
          });
        }
        throw error;
      }
      action = 'logged-in';
    }
    if (!(await isAdminToken(client, token, adminUserId))) {
      throw new ResetError('step_failed', `${adminUserId} got a token on the new Synapse, but it is not a server admin`, {
        nextSteps: ['Make it an admin by hand (or remove it), then resume the run.'],
      });
    }
    // Logged in with the run's password: an earlier attempt of this run registered (or logged in) and died before
    // storing that token. Nobody holds it, yet it stays a working admin token: revoke every device but this one.
    let strayDevicesRevoked = 0;
    if (action === 'logged-in') {
      const admin = client.withAccessToken(token);
      const own = (await admin.whoami()).deviceId;
      const stray = (await admin.admin.listDevices(adminUserId)).map((d) => d.deviceId).filter((id) => id !== own);
      if (stray.length > 0) await admin.admin.deleteDevices(adminUserId, stray);
      strayDevicesRevoked = stray.length;
    }
    const tokenWritten = (await store(context, primary.token).write(token)).changed;
    const userWritten = primary.user === undefined ? false : (await store(context, primary.user).write(adminUserId)).changed;
    // The token is stored: the derived password is no longer needed; replace it with one nobody keeps.
    await client.withAccessToken(token).admin.resetPassword(adminUserId, { newPassword: randomBytes(24).toString('base64url'), logoutDevices: false });
    return { adminUserId, action, tokenWritten, userWritten, passwordRotated: true, strayDevicesRevoked };
  });
};

async function requireStoredAdminToken(context: StepContext): Promise<string> {
  const primary = primaryTarget(context);
  const token = await readValue(context, primary.token);
  const adminUserId = context.environment.synapse.adminUserId;
  if (token === undefined || !(await withSynapse(context, undefined, (client) => isAdminToken(client, token, adminUserId)))) {
    throw new ResetError('step_failed', `${primary.token} holds no working admin token for ${adminUserId} on the new Synapse`, {
      nextSteps: ['The bootstrap-admin step stores it: check that it finished, or store a working admin token there, then resume the run.'],
    });
  }
  return token;
}

function secretKeyEquals(key: string, value: string): (secret: { data?: { [key: string]: string } }) => boolean {
  return (secret) => {
    const encoded = secret.data?.[key];
    return encoded !== undefined && Buffer.from(encoded, 'base64').toString('utf8') === value;
  };
}

/**
 * Writes the admin token (from the primary target) and the admin user id to every target, put-if-different. A
 * Kubernetes Secret that External Secrets manages is not written: its source (which must be one of the targets, e.g.
 * the SSM parameter) was, and the ExternalSecret is forced to sync until the Secret holds the new value.
 */
const writeAdminToken: StepExecutor = async (context) => {
  const token = await requireStoredAdminToken(context);
  const adminUserId = context.environment.synapse.adminUserId;
  const outcomes: Record<string, string> = {};
  const managed: { reference: string; namespace: string; name: string; key: string; value: string; owner: string }[] = [];
  for (const { reference, role } of targetReferences(context)) {
    const value = role === 'admin-token' ? token : adminUserId;
    try {
      outcomes[reference] = (await store(context, reference).write(value)).changed ? 'written' : 'unchanged';
    } catch (error) {
      const parsed = parseSecretReference(reference);
      if (!isSecretsError(error, 'managed_externally') || parsed.scheme !== 'k8s-secret' || context.kube === undefined) throw error;
      const current = await readKey(context.kube, { kind: 'Secret', namespace: parsed.namespace, name: parsed.name, key: parsed.key });
      if (current.managedBy?.kind !== 'external-secrets') throw error;
      managed.push({ reference, namespace: parsed.namespace, name: parsed.name, key: parsed.key, value, owner: current.managedBy.owner });
    }
  }
  // One sync per ExternalSecret, after its sources were written.
  const owners = new Map<string, typeof managed>();
  for (const m of managed) owners.set(`${m.namespace}/${m.owner}`, [...(owners.get(`${m.namespace}/${m.owner}`) ?? []), m]);
  for (const group of owners.values()) {
    const first = group[0]!;
    const kube = context.kube!;
    const inSync = async () => (await Promise.all(group.map(async (m) => (await readKey(kube, { kind: 'Secret', namespace: m.namespace, name: m.name, key: m.key })).value === m.value))).every(Boolean);
    if (await inSync()) {
      for (const m of group) outcomes[m.reference] = 'in-sync';
      continue;
    }
    try {
      await forceExternalSecretSync(kube, {
        namespace: first.namespace,
        name: first.owner,
        until: (secret) => group.every((m) => secretKeyEquals(m.key, m.value)(secret)),
        timeoutMs: 60_000,
        onProgress: (p) => context.onProgress?.(`${context.step.id}: waiting for ${p.waitingFor}`),
      });
    } catch (error) {
      throw new ResetError('step_failed', `ExternalSecret ${first.namespace}/${first.owner} did not bring the new admin token into Secret ${first.name}`, {
        nextSteps: [
          'List the ExternalSecret\'s source (e.g. the SSM parameter it reads) as an adminToken target before the Secret, make a new plan, or write the source by hand.',
          `Check the ExternalSecret's status: kubectl -n ${first.namespace} describe externalsecret ${first.owner}; then resume the run.`,
        ],
        cause: error,
      });
    }
    for (const m of group) outcomes[m.reference] = 'synced';
  }
  return { targets: Object.keys(outcomes).length, ...outcomes };
};

/** Rollout-restarts every configured workload and waits for each rollout (running it again restarts again: harmless). */
const restartWorkloads: StepExecutor = async (context) => {
  const { kube, target } = kubeAccess(context);
  const detail: Record<string, string> = {};
  for (const workload of target.restart) {
    const ref = { kind: workload.kind, namespace: target.namespace, name: workload.name };
    const { restartedAt } = await rolloutRestart(kube, ref);
    await waitForRollout(kube, { ...ref, onProgress: (p) => context.onProgress?.(`${context.step.id}: waiting for ${p.waitingFor}`) });
    detail[`${workload.kind} ${workload.name}`] = restartedAt;
  }
  return { workloads: target.restart.length, ...detail };
};

/** Clears every stored credential against the run's snapshot (taken by snapshot-credentials), in batches; resumes. */
const clearCredentials: StepExecutor = async (context) => {
  const creds = createUserCreds({ db: context.db, layout: context.environment.appDatabase.layout });
  const result = await creds.clear({
    runId: context.runId,
    ...(context.batchSize === undefined ? {} : { batchSize: context.batchSize }),
    onProgress: (p) => context.onProgress?.(`${context.step.id}: ${p.schema} batch ${p.batch}: ${p.totalCleared} cleared`),
  });
  return { schemas: result.schemas.length, cleared: result.totalCleared, kept: result.totalKept, snapshotRunId: context.runId };
};

/**
 * The verify step after a full reset: the admin token in the primary target works on the new Synapse, and the doctor
 * (through a fresh connection carrying that token) finds nothing broken.
 */
export async function verifyFullReset(context: StepContext): Promise<StepDetail> {
  const token = await requireStoredAdminToken(context);
  const report = await withSynapse(context, token, (synapse) => doctor(context.environment, { synapse, db: context.db }));
  const { action, reason, evidence } = report.recommendation;
  if (action !== 'nothing' || report.adminToken !== 'valid') {
    throw new ResetError('drift_found', `Verification after the full reset: admin token ${report.adminToken}; ${action}: ${reason}`, {
      nextSteps: ['Run matrix-reset doctor to see the rows, fix the cause, and resume the run.'],
    });
  }
  return { adminToken: report.adminToken, action, checked: evidence.checked, valid: evidence.valid, broken: evidence.broken };
}

/** The executors of the full-reset step kinds (`snapshot-credentials` and `verify` are shared with the repair). */
export const FULL_RESET_EXECUTORS: Readonly<Partial<Record<StepKind, StepExecutor>>> = Object.freeze({
  'backup-secrets': backupSecrets,
  'volume-snapshot': volumeSnapshot,
  'scale-down': scaleDown,
  'delete-pvc': deletePvc,
  'scale-up': scaleUp,
  'bootstrap-admin': bootstrapAdmin,
  'write-admin-token': writeAdminToken,
  'restart-workloads': restartWorkloads,
  'clear-credentials': clearCredentials,
});

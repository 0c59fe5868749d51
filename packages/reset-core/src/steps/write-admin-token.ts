import { isSecretsError, parseSecretReference } from '@matrix-reset/secrets';
import { forceExternalSecretSync, readKey } from '../connection/k8s-ops-lazy.ts';
import { ResetError } from '../reset-error.ts';
import { requireStoredAdminToken, targetReferences } from './admin-token-targets.ts';
import { waitProgress, type StepContext, type StepDefinition, type StepDetail, type UndoContext, type UndoResult } from './step-definition.ts';

/**
 * Writes the admin token (from the primary target, where bootstrap-admin stored it) and the admin user id to every
 * adminToken target, put-if-different. Undone by writing each target's previous version back.
 */
export const writeAdminTokenStep: StepDefinition = {
  kind: 'write-admin-token',
  describe({ observation }) {
    const writable = observation.secrets.filter((s) => s.role !== 'shared-secret');
    return {
      description: `Write the admin token and user to ${writable.length} targets (put-if-different; External Secrets are synced through their source)`,
      observed: Object.fromEntries(writable.map((s) => [`${s.role} ${s.reference}`, s.version ?? null])),
      undo: 'Write the recorded previous versions back',
    };
  },
  execute: writeAdminToken,
  undo: restoreSecrets,
};

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
async function writeAdminToken(context: StepContext): Promise<StepDetail> {
  const token = await requireStoredAdminToken(context);
  const adminUserId = context.connection.environment.synapse.adminUserId;
  const outcomes: Record<string, string> = {};
  const managed: { reference: string; namespace: string; name: string; key: string; value: string; owner: string }[] = [];
  for (const { reference, role } of targetReferences(context)) {
    const value = role === 'admin-token' ? token : adminUserId;
    try {
      outcomes[reference] = (await context.connection.openSecretStore(reference).write(value)).changed ? 'written' : 'unchanged';
    } catch (error) {
      const parsed = parseSecretReference(reference);
      if (!isSecretsError(error, 'managed_externally') || parsed.scheme !== 'k8s-secret' || context.connection.kube === undefined) throw error;
      const current = await readKey(context.connection.kube, { kind: 'Secret', namespace: parsed.namespace, name: parsed.name, key: parsed.key });
      if (current.managedBy?.kind !== 'external-secrets') throw error;
      managed.push({ reference, namespace: parsed.namespace, name: parsed.name, key: parsed.key, value, owner: current.managedBy.owner });
    }
  }
  // One sync per ExternalSecret, after its sources were written.
  const owners = new Map<string, typeof managed>();
  for (const m of managed) owners.set(`${m.namespace}/${m.owner}`, [...(owners.get(`${m.namespace}/${m.owner}`) ?? []), m]);
  for (const group of owners.values()) {
    const first = group[0]!;
    const kube = context.connection.kube!;
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
        onProgress: waitProgress(context),
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
}

/**
 * Writes the previous version of each admin-token target back (the store's `restorePrevious`). A target is restored
 * only while it still holds what the run wrote: when the step journaled the version it wrote (`"<role> <reference>"`
 * in its detail), that version must still be current; when it did not, only a first rollback attempt restores.
 * Targets the run did not change are left alone: those the step journaled as `unchanged` (except the primary target,
 * which bootstrap-admin wrote), and those with no previous value kept (a Secret key or `.env` key whose neighbour in
 * the same Secret or file changed its version). A Secret External Secrets manages is not written: it follows its
 * restored source at the ExternalSecret's next refresh.
 */
async function restoreSecrets(context: UndoContext): Promise<UndoResult> {
  const written = (typeof context.ran.detail === 'object' && context.ran.detail !== null ? context.ran.detail : {}) as Record<string, unknown>;
  const primary = context.connection.environment.adminToken[0];
  const counts = { targets: 0, restored: 0, unchanged: 0 };
  const cannotUndo: string[] = [];
  for (const [target, plannedVersion] of Object.entries(context.step.observed)) {
    const reference = target.slice(target.indexOf(' ') + 1);
    counts.targets++;
    const store = context.connection.openSecretStore(reference);
    const outcome = written[reference];
    const isPrimary = reference === primary?.token || reference === primary?.user;
    if (!isPrimary && (outcome === 'unchanged' || outcome === 'in-sync')) {
      counts.unchanged++;
      continue;
    }
    if (outcome === 'synced') {
      cannotUndo.push(`${store.describe()} is managed by External Secrets: not written back; it takes the restored value of its source at its ExternalSecret's next refresh (force one: kubectl annotate externalsecret <name> force-sync=$(date +%s) --overwrite)`);
      continue;
    }
    const current = await store.read();
    if (current.version !== undefined && current.version === plannedVersion) {
      counts.unchanged++;
      continue;
    }
    const writtenVersion = written[target];
    if (typeof writtenVersion === 'string' && writtenVersion !== current.version) {
      cannotUndo.push(`${store.describe()} changed after the run wrote it (version ${current.version ?? 'none'}, the run wrote ${writtenVersion}): not restored`);
      continue;
    }
    if (typeof writtenVersion !== 'string' && context.previous !== undefined) {
      cannotUndo.push(`${store.describe()}: an earlier rollback attempt may already have restored it and the run did not record the version it wrote: check it by hand`);
      continue;
    }
    if (!store.writable) {
      cannotUndo.push(`${store.describe()} is read-only here: put its previous value back by hand`);
      continue;
    }
    if (!(await store.readPrevious()).exists) {
      if (plannedVersion === null) cannotUndo.push(`${store.describe()} did not exist before the run, which created it: remove it by hand if it must go`);
      else counts.unchanged++;
      continue;
    }
    if (!context.dryRun) await store.restorePrevious(current.version === undefined ? {} : { expectedVersion: current.version });
    counts.restored++;
  }
  return {
    outcome: counts.restored > 0 ? (context.dryRun ? 'would-undo' : 'undone') : cannotUndo.length > 0 ? 'cannot-undo' : 'nothing-to-undo',
    summary: `${context.dryRun ? 'would restore' : 'restored'} the previous version of ${counts.restored} of ${counts.targets} admin-token targets; ${counts.unchanged} were unchanged by the run or still at the planned version`,
    cannotUndo,
    detail: counts,
  };
}

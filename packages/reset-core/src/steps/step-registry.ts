import type { PlanMode } from '../plan/plan-model.ts';
import { backupSecrets } from './backup-secrets.ts';
import { backupSynapseDatabase } from './backup-synapse-database.ts';
import { bootstrapAdmin } from './bootstrap-admin.ts';
import { clearCredentials } from './clear-credentials.ts';
import { clearDeactivatedUsers } from './clear-deactivated-users.ts';
import { clearMissingUsers } from './clear-missing-users.ts';
import { createSynapseDatabase } from './create-synapse-database.ts';
import { deletePvc } from './delete-pvc.ts';
import { dumpSynapseDatabase } from './dump-synapse-database.ts';
import { claimDeletedOnScaleDown } from './kube-target.ts';
import { reprovisionExistingUsers } from './reprovision-existing-users.ts';
import { restartWorkloads } from './restart-workloads.ts';
import { scaleDown } from './scale-down.ts';
import { scaleUp } from './scale-up.ts';
import { snapshotCredentials } from './snapshot-credentials.ts';
import { resetsSynapseDatabase } from './synapse-database-target.ts';
import type { PlanInput, StepDefinition } from './step-definition.ts';
import type { StepKind } from './step-kinds.ts';
import { verifyStep } from './verify-step.ts';
import { volumeSnapshot } from './volume-snapshot.ts';
import { writeAdminTokenStep } from './write-admin-token.ts';

/** Every step kind's definition. A kind without one does not compile. */
export const STEP_DEFINITIONS: Readonly<Record<StepKind, StepDefinition>> = Object.freeze({
  'snapshot-credentials': snapshotCredentials,
  'reprovision-existing-users': reprovisionExistingUsers,
  'clear-missing-users': clearMissingUsers,
  'clear-deactivated-users': clearDeactivatedUsers,
  'backup-secrets': backupSecrets,
  'volume-snapshot': volumeSnapshot,
  'scale-down': scaleDown,
  'backup-synapse-database': backupSynapseDatabase,
  'dump-synapse-database': dumpSynapseDatabase,
  'create-synapse-database': createSynapseDatabase,
  'delete-pvc': deletePvc,
  'scale-up': scaleUp,
  'bootstrap-admin': bootstrapAdmin,
  'write-admin-token': writeAdminTokenStep,
  'restart-workloads': restartWorkloads,
  'clear-credentials': clearCredentials,
  verify: verifyStep,
});

/** A place in a mode's order: a kind, planned where `when` holds (default always) and its `describe` applies. */
export type StepSlot = StepKind | { readonly kind: StepKind; readonly when: (input: PlanInput) => boolean };

/** Whether the full reset deletes Synapse's claim: SQLite lives on it; a Postgres-backed Synapse's only on request. */
function deletesClaim(input: PlanInput): boolean {
  return !resetsSynapseDatabase(input) || input.wipeMedia;
}

/**
 * The order of each mode's steps, the runbook's. The VolumeSnapshot belongs after the pod is gone and before the claim
 * is deleted, except where the scale-down itself deletes the claim (whenScaled=Delete): then before the scale-down.
 * A Postgres-backed Synapse's database is moved aside and made again once every Synapse process is stopped (or, where
 * the role cannot rename it, dumped and emptied in place: each step's `describe` says which applies); its claim
 * (media, signing key) is kept unless the plan wipes media too.
 */
export const STEP_ORDER: Readonly<Record<PlanMode, readonly StepSlot[]>> = Object.freeze({
  repair: ['snapshot-credentials', 'reprovision-existing-users', 'clear-missing-users', 'clear-deactivated-users', 'verify'],
  'restore-admin': ['backup-secrets', 'bootstrap-admin', 'write-admin-token', 'restart-workloads', 'verify'],
  'full-reset': [
    'snapshot-credentials',
    'backup-secrets',
    { kind: 'volume-snapshot', when: (input: PlanInput) => deletesClaim(input) && claimDeletedOnScaleDown(input) },
    'scale-down',
    { kind: 'volume-snapshot', when: (input: PlanInput) => deletesClaim(input) && !claimDeletedOnScaleDown(input) },
    'backup-synapse-database',
    'dump-synapse-database',
    'create-synapse-database',
    { kind: 'delete-pvc', when: deletesClaim },
    'scale-up',
    'bootstrap-admin',
    'write-admin-token',
    'restart-workloads',
    'clear-credentials',
    'verify',
  ],
});

import type { PlanMode } from '../plan/plan-model.ts';
import { backupSecrets } from './backup-secrets.ts';
import { bootstrapAdmin } from './bootstrap-admin.ts';
import { clearCredentials } from './clear-credentials.ts';
import { clearDeactivatedUsers } from './clear-deactivated-users.ts';
import { clearMissingUsers } from './clear-missing-users.ts';
import { deletePvc } from './delete-pvc.ts';
import { claimDeletedOnScaleDown } from './kube-target.ts';
import { reprovisionExistingUsers } from './reprovision-existing-users.ts';
import { restartWorkloads } from './restart-workloads.ts';
import { scaleDown } from './scale-down.ts';
import { scaleUp } from './scale-up.ts';
import { snapshotCredentials } from './snapshot-credentials.ts';
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

/**
 * The order of each mode's steps, the runbook's. The VolumeSnapshot belongs after the pod is gone and before the claim
 * is deleted, except where the scale-down itself deletes the claim (whenScaled=Delete): then before the scale-down.
 */
export const STEP_ORDER: Readonly<Record<PlanMode, readonly StepSlot[]>> = Object.freeze({
  repair: ['snapshot-credentials', 'reprovision-existing-users', 'clear-missing-users', 'clear-deactivated-users', 'verify'],
  'restore-admin': ['backup-secrets', 'bootstrap-admin', 'write-admin-token', 'restart-workloads', 'verify'],
  'full-reset': [
    'snapshot-credentials',
    'backup-secrets',
    { kind: 'volume-snapshot', when: claimDeletedOnScaleDown },
    'scale-down',
    { kind: 'volume-snapshot', when: (input: PlanInput) => !claimDeletedOnScaleDown(input) },
    'delete-pvc',
    'scale-up',
    'bootstrap-admin',
    'write-admin-token',
    'restart-workloads',
    'clear-credentials',
    'verify',
  ],
});

/**
 * Every kind of step a plan can hold. The plan file's format names them (its schema accepts exactly these); each has
 * one file in this folder with what it says, does and undoes, and one line in the registry (`step-registry.ts`).
 */
export const STEP_KINDS = [
  'snapshot-credentials',
  'reprovision-existing-users',
  'clear-missing-users',
  'clear-deactivated-users',
  'backup-secrets',
  'volume-snapshot',
  'scale-down',
  'backup-synapse-database',
  'dump-synapse-database',
  'create-synapse-database',
  'delete-pvc',
  'scale-up',
  'bootstrap-admin',
  'write-admin-token',
  'restart-workloads',
  'clear-credentials',
  'verify',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

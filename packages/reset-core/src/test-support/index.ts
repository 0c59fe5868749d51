/*
 * Test support other projects' tests import as `@matrix-reset/reset-core/test-support` (the source condition only:
 * it is not built or published). The CLI's chaos test plants the same full-reset sandbox as reset-core's end-state
 * test and reads its end state with the same helpers.
 */
export { plantFullResetSandbox, type FullResetSandbox, type MoreTargets } from './plan-full-reset-sandbox.ts';
export { storedRow } from './ensure-fixtures.ts';
export { plantSynapseDatabase, type PlantedSynapseDatabase } from './synapse-postgres.ts';
export {
  bootstrapPassword,
  bootstrapPasswordLogsIn,
  credentialSnapshots,
  journaledRun,
  journaledRunIds,
  journalText,
  matrixUserExists,
  secretKey,
  ssmParameterVersions,
  synapseClaimUid,
  synapseDevices,
  synapseUsers,
  tokenOwner,
  volumeSnapshotNames,
  type JournaledStep,
} from './full-reset-outside-reads.ts';

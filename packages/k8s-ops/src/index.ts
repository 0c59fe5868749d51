export { K8sOpsError, isK8sOpsError, toK8sOpsError, type K8sOpsErrorCode, type K8sRequestContext } from './k8s-ops-error.ts';
export { createKube, loadKubeConfig, type Kube, type LoadKubeConfigOptions } from './kube-config.ts';
export { callApi, readOrUndefined, type CallOptions } from './call-api.ts';
export { waitForObjects, type WaitForObjectsOptions, type WaitProgress, type WaitVerdict } from './wait-for-objects.ts';
export { labelSelectorString, readClaimState, readStatefulSetShape, type ClaimState, type RetentionRule, type StatefulSetShape } from './statefulset-shape.ts';
export { WORKLOAD_KINDS, type WorkloadId, type WorkloadKind, type WorkloadRef } from './workload-ref.ts';
export { readWorkload, type WorkloadSummary } from './read-workload.ts';
export { listWorkloads, type ListWorkloadsOptions } from './list-workloads.ts';
export { workloadClaims, type ClaimMount, type WorkloadClaim } from './workload-claims.ts';
export {
  scaleStatefulSet,
  scaleWorkload,
  waitForStatefulSetPodsGone,
  waitForStatefulSetReady,
  waitForWorkloadPodsGone,
  waitForWorkloadReady,
  type ScaleOptions,
  type ScaleResult,
  type ScaleWorkloadOptions,
  type WaitOptions,
  type WorkloadReady,
  type WorkloadWaitOptions,
} from './scale-workload.ts';
export { deletePersistentVolumeClaim, type DeletePvcOptions, type DeletePvcResult } from './delete-pvc.ts';
export { snapshotPersistentVolumeClaim, volumeSnapshotsSupported, type SnapshotOptions, type VolumeSnapshotObject } from './volume-snapshot.ts';
export { deploymentRolloutStatus, statefulSetRolloutStatus, type RolloutStatus } from './rollout-status.ts';
export { RESTARTED_AT_ANNOTATION, rolloutRestart, waitForRollout } from './rollout-restart.ts';
export { readKey, writeKey, type KeyedObjectKind, type KeyRef, type KeyValue, type WriteKeyOptions, type WriteKeyResult } from './secret-data.ts';
export { detectSecretManager, type SecretManager, type SecretManagerKind } from './secret-manager.ts';
export { forceExternalSecretSync, type ForceSyncOptions } from './external-secret-sync.ts';
export { execInPod, type ExecOptions, type ExecResult } from './pod-exec.ts';
export { portForwardToPod, type PortForwardHandle, type PortForwardOptions } from './port-forward.ts';
export { acquireLeaseLock, type LeaseLock, type LeaseLockOptions } from './lease-lock.ts';
export { OPERATION_PERMISSIONS, permissionsFor, type K8sOperation, type PolicyRule } from './permissions.ts';

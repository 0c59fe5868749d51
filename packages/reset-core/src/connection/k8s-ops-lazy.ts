import type * as K8sOps from '@matrix-reset/k8s-ops';

/*
 * k8s-ops, and @kubernetes/client-node under it (~85 MB resident), loaded at the first call that needs it rather than
 * with reset-core: commands that never touch Kubernetes (doctor, creds, verify against an environment without a
 * kubernetes: section) never load it. The forwarders below have the signatures of the k8s-ops functions they stand
 * for, so call sites read as if they were imported directly.
 */

/** The k8s-ops module (imported once; later calls get the same module). */
export function loadK8sOps(): Promise<typeof K8sOps> {
  return import('@matrix-reset/k8s-ops');
}

export const deletePersistentVolumeClaim: typeof K8sOps.deletePersistentVolumeClaim = async (...args) => (await loadK8sOps()).deletePersistentVolumeClaim(...args);
export const execInPod: typeof K8sOps.execInPod = async (...args) => (await loadK8sOps()).execInPod(...args);
export const forceExternalSecretSync: typeof K8sOps.forceExternalSecretSync = async (...args) => (await loadK8sOps()).forceExternalSecretSync(...args);
export const portForwardToPod: typeof K8sOps.portForwardToPod = async (...args) => (await loadK8sOps()).portForwardToPod(...args);
export const readKey: typeof K8sOps.readKey = async (...args) => (await loadK8sOps()).readKey(...args);
export const readWorkload: typeof K8sOps.readWorkload = async (...args) => (await loadK8sOps()).readWorkload(...args);
export const rolloutRestart: typeof K8sOps.rolloutRestart = async (...args) => (await loadK8sOps()).rolloutRestart(...args);
export const scaleWorkload: typeof K8sOps.scaleWorkload = async (...args) => (await loadK8sOps()).scaleWorkload(...args);
export const snapshotPersistentVolumeClaim: typeof K8sOps.snapshotPersistentVolumeClaim = async (...args) => (await loadK8sOps()).snapshotPersistentVolumeClaim(...args);
export const waitForRollout: typeof K8sOps.waitForRollout = async (...args) => (await loadK8sOps()).waitForRollout(...args);
export const waitForWorkloadPodsGone: typeof K8sOps.waitForWorkloadPodsGone = async (...args) => (await loadK8sOps()).waitForWorkloadPodsGone(...args);
export const waitForWorkloadReady: typeof K8sOps.waitForWorkloadReady = async (...args) => (await loadK8sOps()).waitForWorkloadReady(...args);
export const workloadClaims: typeof K8sOps.workloadClaims = async (...args) => (await loadK8sOps()).workloadClaims(...args);

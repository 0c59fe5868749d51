import type { V1ObjectMeta } from '@kubernetes/client-node';

export type SecretManagerKind = 'external-secrets' | 'sealed-secrets' | 'argocd' | 'flux' | 'helm';

/** Who, besides us, owns an object: writing it directly would fight them. */
export interface SecretManager {
  kind: SecretManagerKind;
  /** The owning object, e.g. the ExternalSecret's or the Helm release's name. */
  owner: string;
  /** The label, annotation or ownerReference that gave it away. */
  evidence: string;
  /** What to do instead of writing the object. */
  nextSteps: readonly string[];
}

/**
 * Tells who manages a Secret or ConfigMap from its metadata: External Secrets (label or annotation
 * `reconcile.external-secrets.io/*`, or an ExternalSecret ownerReference), Sealed Secrets (a SealedSecret
 * ownerReference), Argo CD, Flux or Helm, in that order. Returns `undefined` for an object nobody else manages.
 *
 * @example
 * const secret = await kube.core.readNamespacedSecret({ namespace, name: 'openmeet-api-secrets' });
 * const manager = detectSecretManager(secret.metadata);
 * if (manager?.kind === 'external-secrets') await forceExternalSecretSync(kube, { namespace, name: manager.owner });
 */
export function detectSecretManager(metadata: V1ObjectMeta | undefined): SecretManager | undefined {
  const labels = metadata?.labels ?? {};
  const annotations = metadata?.annotations ?? {};
  const owners = metadata?.ownerReferences ?? [];
  const esOwner = owners.find((o) => o.kind === 'ExternalSecret' && o.apiVersion.startsWith('external-secrets.io/'));
  const esAnnotation = Object.keys(annotations).find((k) => k.startsWith('reconcile.external-secrets.io/'));
  if (esOwner || labels['reconcile.external-secrets.io/managed'] === 'true' || esAnnotation) {
    const owner = esOwner?.name ?? metadata?.name ?? '';
    return {
      kind: 'external-secrets',
      owner,
      evidence: esOwner
        ? `ownerReference ExternalSecret/${owner}`
        : labels['reconcile.external-secrets.io/managed'] === 'true'
          ? 'label reconcile.external-secrets.io/managed=true'
          : `annotation ${esAnnotation}`,
      nextSteps: [`Write the value to the ExternalSecret's source (e.g. the SSM parameter), then force a sync of ExternalSecret/${owner} (annotation force-sync) and wait for the Secret to change.`],
    };
  }
  const sealed = owners.find((o) => o.kind === 'SealedSecret' && o.apiVersion.startsWith('bitnami.com/'));
  if (sealed) {
    return {
      kind: 'sealed-secrets',
      owner: sealed.name,
      evidence: `ownerReference SealedSecret/${sealed.name}`,
      nextSteps: [`Seal the new value with kubeseal and update SealedSecret/${sealed.name} where it is kept (usually git); its controller rewrites this Secret.`],
    };
  }
  const argo = annotations['argocd.argoproj.io/tracking-id'] ?? labels['argocd.argoproj.io/instance'];
  if (argo) {
    return {
      kind: 'argocd',
      owner: argo.split(':')[0] ?? argo,
      evidence: annotations['argocd.argoproj.io/tracking-id'] ? 'annotation argocd.argoproj.io/tracking-id' : 'label argocd.argoproj.io/instance',
      nextSteps: ['Argo CD would revert a direct write: change the value in the Git repository (or its secret source) and sync the Application.'],
    };
  }
  const flux = labels['kustomize.toolkit.fluxcd.io/name'] ?? labels['helm.toolkit.fluxcd.io/name'];
  if (flux) {
    return {
      kind: 'flux',
      owner: flux,
      evidence: labels['kustomize.toolkit.fluxcd.io/name'] ? 'label kustomize.toolkit.fluxcd.io/name' : 'label helm.toolkit.fluxcd.io/name',
      nextSteps: ['Flux would revert a direct write: change the value in the Git repository (or its SOPS/secret source) and reconcile.'],
    };
  }
  if (labels['app.kubernetes.io/managed-by']?.toLowerCase() === 'helm' || annotations['meta.helm.sh/release-name']) {
    const release = annotations['meta.helm.sh/release-name'] ?? labels['app.kubernetes.io/instance'] ?? '';
    return {
      kind: 'helm',
      owner: release,
      evidence: annotations['meta.helm.sh/release-name'] ? 'annotation meta.helm.sh/release-name' : 'label app.kubernetes.io/managed-by=Helm',
      nextSteps: [`The next helm upgrade of release ${release} would overwrite a direct write: set the value in the release's values and upgrade.`],
    };
  }
  return undefined;
}

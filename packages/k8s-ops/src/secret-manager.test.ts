import { describe, expect, it } from 'vitest';
import { detectSecretManager } from './secret-manager.ts';

describe('detectSecretManager', () => {
  it('finds External Secrets by its ownerReference and names the ExternalSecret', () => {
    const manager = detectSecretManager({
      name: 'api-secrets',
      labels: { 'reconcile.external-secrets.io/managed': 'true' },
      ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'api-es', uid: 'u' }],
    });
    expect(manager).toMatchObject({ kind: 'external-secrets', owner: 'api-es' });
    expect(manager?.nextSteps.join('\n')).toMatch(/force a sync of ExternalSecret\/api-es/);
  });
  it('finds Argo CD, Flux and Helm by their marks', () => {
    expect(detectSecretManager({ annotations: { 'argocd.argoproj.io/tracking-id': 'app:/Secret:ns/x' } })?.kind).toBe('argocd');
    expect(detectSecretManager({ labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps' } })?.kind).toBe('flux');
    expect(detectSecretManager({ labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'api' } })).toMatchObject({
      kind: 'helm',
      owner: 'api',
    });
  });
  it('finds Sealed Secrets by its ownerReference, and External Secrets by its annotations alone', () => {
    expect(
      detectSecretManager({ ownerReferences: [{ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', name: 'sealed', uid: 'u' }] }),
    ).toMatchObject({ kind: 'sealed-secrets', owner: 'sealed' });
    expect(detectSecretManager({ name: 's', annotations: { 'reconcile.external-secrets.io/data-hash': 'abc' } })).toMatchObject({
      kind: 'external-secrets',
      evidence: 'annotation reconcile.external-secrets.io/data-hash',
    });
  });

  it('says nobody manages a plain Secret', () => {
    expect(detectSecretManager({ name: 'plain', labels: { app: 'api' } })).toBeUndefined();
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { OPERATION_PERMISSIONS, type K8sOperation, type PolicyRule } from '@matrix-reset/k8s-ops';
import { fullResetOperations, rbacManifests } from './rbac.ts';

const run = promisify(execFile);

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = run('kubectl', args, { env: process.env });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  return (await child).stdout;
}

/** Every (apiGroup, resource, verb) a set of rules grants. */
function grants(rules: readonly PolicyRule[]): Set<string> {
  const out = new Set<string>();
  for (const rule of rules) for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) out.add(`${group}|${resource}|${verb}`);
  return out;
}

function needed(operations: readonly K8sOperation[]): Set<string> {
  return grants(operations.flatMap((operation) => OPERATION_PERMISSIONS[operation]));
}

describe('rbacManifests', () => {
  it('grants exactly what the full-reset operations need, with no wildcards', () => {
    const operations = fullResetOperations({ snapshots: true, externalSecrets: true });

    const { role } = rbacManifests({ namespace: 'openmeet-dev', operations });

    expect(grants(role.rules)).toEqual(needed(operations));
    for (const rule of role.rules) {
      expect([...rule.verbs, ...rule.resources, ...rule.apiGroups]).not.toContain('*');
    }
  });

  it('leaves out snapshots and External Secrets unless the plan uses them', () => {
    const { role, operations } = rbacManifests({ namespace: 'openmeet-dev' });

    expect(operations).not.toContain('snapshotPersistentVolumeClaim');
    expect(operations).not.toContain('forceExternalSecretSync');
    const groups = new Set(role.rules.flatMap((rule) => rule.apiGroups));
    expect(groups.has('snapshot.storage.k8s.io')).toBe(false);
    expect(groups.has('external-secrets.io')).toBe(false);
  });

  it('keeps reading PersistentVolumes in a separate ClusterRole with a note', () => {
    const { role, cluster } = rbacManifests({ namespace: 'openmeet-dev' });

    expect(role.rules.some((rule) => rule.resources.includes('persistentvolumes'))).toBe(false);
    expect(cluster?.clusterRole.rules).toEqual([{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get'] }]);
    expect(cluster?.note).toContain('PersistentVolumes');
    expect(rbacManifests({ namespace: 'openmeet-dev', operations: ['acquireLeaseLock'] }).cluster).toBeUndefined();
  });

  it('renders YAML that parses back to the same objects and binds the ServiceAccount', () => {
    const manifests = rbacManifests({ namespace: 'openmeet-dev', serviceAccount: 'resetter' });

    const documents = parseAllDocuments(manifests.yaml).map((document) => document.toJS() as unknown);

    expect(documents).toEqual([manifests.serviceAccount, manifests.role, manifests.roleBinding]);
    expect(manifests.roleBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'resetter', namespace: 'openmeet-dev' }]);
  });

  it('refuses a namespace that is not a Kubernetes name', () => {
    expect(() => rbacManifests({ namespace: 'Openmeet_Dev' })).toThrow(/not a valid Kubernetes name/);
  });

  it('applies with the real kubectl, and the Role read back holds exactly the rules printed', async () => {
    const namespace = `rbac-${randomBytes(4).toString('hex')}`;
    await kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`); // kube-sim takes JSON/YAML, not kubectl create's protobuf
    const manifests = rbacManifests({ namespace, snapshots: true, externalSecrets: true });

    const applied = await kubectl(['apply', '-f', '-'], manifests.yaml);
    expect(applied).toContain('serviceaccount/matrix-reset');
    expect(applied).toContain('role.rbac.authorization.k8s.io/matrix-reset');
    expect(applied).toContain('rolebinding.rbac.authorization.k8s.io/matrix-reset');

    const role = JSON.parse(await kubectl(['get', 'role', 'matrix-reset', '-n', namespace, '-o', 'json'])) as { rules: unknown };
    expect(role.rules).toEqual(manifests.role.rules);
    const binding = JSON.parse(await kubectl(['get', 'rolebinding', 'matrix-reset', '-n', namespace, '-o', 'json'])) as { roleRef: unknown; subjects: unknown };
    expect(binding.roleRef).toEqual(manifests.roleBinding.roleRef);
    expect(binding.subjects).toEqual(manifests.roleBinding.subjects);
  });
});

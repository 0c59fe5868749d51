import { rbacManifests } from '@matrix-reset/reset-core';
import { loadEnvironment } from '../load-environment.ts';
import { BaseCommand } from '../base-command.ts';
import { UsageError } from '../usage-error.ts';

/** `matrix-reset rbac`: the Kubernetes Role and RoleBinding matrix-reset needs in the environment's namespace. */
export default class Rbac extends BaseCommand<typeof Rbac> {
  static override summary = 'Print the Kubernetes Role and RoleBinding matrix-reset needs';
  static override description =
    "Prints, as YAML for kubectl apply, the least-privilege Role (and its RoleBinding) for the configured environment's " +
    'namespace: exactly the verbs on the StatefulSet, PVC, pods, secrets and workloads that a reset uses.';
  static override examples = [
    { description: 'Review the permissions for dev', command: '<%= config.bin %> <%= command.id %> --env dev' },
    { description: 'Apply them', command: '<%= config.bin %> <%= command.id %> --env dev | kubectl apply -f -' },
    { description: 'As JSON (the manifests as objects)', command: '<%= config.bin %> <%= command.id %> --env dev --json' },
  ];

  override async run(): Promise<void> {
    const environment = await loadEnvironment(this.flags);
    if (environment.kubernetes === undefined) {
      throw new UsageError(`environment ${environment.name} has no kubernetes section: there is no Role to print`, {
        nextSteps: ['Run rbac for an environment that names a kube context and namespace.'],
      });
    }
    const usesExternalSecrets = environment.adminToken.some((t) => t.token.startsWith('ssm:'));
    const rbac = rbacManifests({ namespace: environment.kubernetes.namespace, snapshots: true, externalSecrets: usesExternalSecrets });
    // The optional cluster part is a document of its own: without the separator it would merge into the RoleBinding.
    this.result(rbac, (r) => [r.yaml, ...(r.cluster ? [`---\n# ${r.cluster.note}\n${r.cluster.yaml}`] : [])].join(''));
  }
}

import type { Kube } from '@matrix-reset/k8s-ops';
import type { HomeserverConfigSource } from '../config/reset-config.ts';

/** A Deployment's pod template, as the client reads it (reset-core does not depend on the client's package). */
type PodTemplate = NonNullable<Awaited<ReturnType<Kube['apps']['listNamespacedDeployment']>>['items'][number]['spec']>['template'];

/**
 * A Deployment or StatefulSet of Synapse's namespace that looks like a Synapse process (it runs `synapse.app.*`, or
 * mounts the Secret or ConfigMap homeserver.yaml is read from) but is neither the main workload nor a listed worker:
 * a full reset would not stop it, and it would keep sessions on Synapse's database.
 */
export interface UnlistedSynapseWorkload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  /** `runs synapse.app.generic_worker`, `mounts Secret matrix-synapse (homeserver.yaml)`. */
  readonly why: string;
  /** A selector naming it, from its `app.kubernetes.io/component` label (undefined: it has none). */
  readonly selector: string | undefined;
}

function evidence(template: PodTemplate | undefined, source: HomeserverConfigSource | undefined): string | undefined {
  const spec = template?.spec;
  for (const container of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    const app = /\bsynapse\.app\.[A-Za-z_.]+/.exec([...(container.command ?? []), ...(container.args ?? [])].join(' '));
    if (app !== null) return `runs ${app[0]}`;
  }
  if (source === undefined || 'pod' in source || 'file' in source) return undefined;
  const mounted = (spec?.volumes ?? []).some((volume) =>
    'secret' in source
      ? volume.secret?.secretName === source.secret || (volume.projected?.sources ?? []).some((s) => s.secret?.name === source.secret)
      : volume.configMap?.name === source.configMap || (volume.projected?.sources ?? []).some((s) => s.configMap?.name === source.configMap),
  );
  if (!mounted) return undefined;
  return 'secret' in source ? `mounts Secret ${source.secret} (homeserver.yaml)` : `mounts ConfigMap ${source.configMap} (homeserver.yaml)`;
}

/**
 * The workloads of `namespace` that look like Synapse processes and are not in `known` (`Kind/name`: the main
 * workload, its listed workers, the workloads restarted). Reads one page of each kind (500 objects).
 *
 * @example
 * ```ts
 * const unlisted = await unlistedSynapseWorkloads(kube, 'matrix', new Set(['Deployment/matrix-synapse']), { secret: 'matrix-synapse', key: 'config.yaml' });
 * ```
 */
export async function unlistedSynapseWorkloads(kube: Kube, namespace: string, known: ReadonlySet<string>, source: HomeserverConfigSource | undefined): Promise<UnlistedSynapseWorkload[]> {
  const { callApi } = await import('@matrix-reset/k8s-ops');
  const deployments = await callApi({ verb: 'list', resource: 'deployments.apps', namespace }, { idempotent: true }, () => kube.apps.listNamespacedDeployment({ namespace, limit: 500 }));
  const statefulSets = await callApi({ verb: 'list', resource: 'statefulsets.apps', namespace }, { idempotent: true }, () => kube.apps.listNamespacedStatefulSet({ namespace, limit: 500 }));
  const candidates = [
    ...deployments.items.map((object) => ({ kind: 'Deployment' as const, object })),
    ...statefulSets.items.map((object) => ({ kind: 'StatefulSet' as const, object })),
  ];
  const found: UnlistedSynapseWorkload[] = [];
  for (const { kind, object } of candidates) {
    const name = object.metadata?.name ?? '';
    if (known.has(`${kind}/${name}`)) continue;
    const why = evidence(object.spec?.template, source);
    if (why === undefined) continue;
    const component = object.metadata?.labels?.['app.kubernetes.io/component'];
    found.push(Object.freeze({ kind, name, why, selector: component === undefined ? undefined : `app.kubernetes.io/component=${component}` }));
  }
  return found;
}

import { callApi } from './call-api.ts';
import type { Kube } from './kube-config.ts';
import { summarizeWorkload, type WorkloadSummary } from './read-workload.ts';
import { checkWorkloadKind, workloadResource, type WorkloadKind } from './workload-ref.ts';

export interface ListWorkloadsOptions {
  namespace: string;
  /**
   * A label selector as the API takes it (`app.kubernetes.io/component=synapse-worker`, `role in (worker,pusher)`);
   * it must not be empty (that would be every workload in the namespace).
   */
  selector: string;
  /** The kinds to list, in this order (default: Deployments, then StatefulSets). */
  kinds?: readonly WorkloadKind[];
  /** Objects per page (default 100); the list follows the server's continue token. */
  pageSize?: number;
}

/**
 * The Deployments and StatefulSets in a namespace that a label selector matches (Synapse's workers, say), each with
 * its replicas wanted and ready; Deployments first, then StatefulSets, each in the server's order. Follows the
 * server's pagination.
 *
 * @example
 * for await (const worker of listWorkloads(kube, { namespace: 'matrix', selector: 'app.kubernetes.io/component=synapse-worker' })) {
 *   console.error(`${worker.kind} ${worker.name}: ${worker.readyReplicas}/${worker.replicas}`);
 * }
 */
export async function* listWorkloads(kube: Kube, options: ListWorkloadsOptions): AsyncGenerator<WorkloadSummary, void, undefined> {
  const { namespace, selector: labelSelector } = options;
  if (labelSelector.trim() === '') throw new RangeError('listWorkloads needs a non-empty label selector');
  const kinds = (options.kinds ?? ['Deployment', 'StatefulSet']).map((kind) => checkWorkloadKind({ kind }));
  const limit = options.pageSize ?? 100;
  for (const kind of kinds) {
    const request = { verb: 'list', resource: workloadResource(kind), namespace };
    let _continue: string | undefined;
    do {
      const page = { namespace, labelSelector, limit, ...(_continue ? { _continue } : {}) };
      if (kind === 'Deployment') {
        const listed = await callApi(request, { idempotent: true }, () => kube.apps.listNamespacedDeployment(page));
        for (const object of listed.items) yield summarizeWorkload({ kind, object });
        _continue = listed.metadata?._continue;
      } else {
        const listed = await callApi(request, { idempotent: true }, () => kube.apps.listNamespacedStatefulSet(page));
        for (const object of listed.items) yield summarizeWorkload({ kind, object });
        _continue = listed.metadata?._continue;
      }
    } while (_continue);
  }
}

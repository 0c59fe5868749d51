import { randomBytes } from 'node:crypto';
import { KindsReconciler } from './controller-loop.ts';
import { controllerRef, isOwnedBy, record, records, timestamp, type KubeObject } from './kube-object.ts';
import { isPodInactive, isPodReady, templateHash, withCondition } from './pod-state.ts';

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * The Deployment controller: one ReplicaSet per pod-template hash (`<deployment>-<hash>`), rolling updates
 * (the new ReplicaSet scales up, the old ones go to 0 once the new pods are available) or Recreate, and status
 * with updated/ready/available replicas, observedGeneration and the Available/Progressing conditions
 * (`NewReplicaSetAvailable` when done), which is what `kubectl rollout status` reads.
 *
 * @example
 * new ControllerLoop(store, [new DeploymentController(store, kinds)], log).start();
 */
export class DeploymentController extends KindsReconciler {
  readonly name = 'deployment-controller';

  reconcile(): void {
    for (const deployment of this.store.list(this.kinds.deployment, undefined)) {
      if (deployment.metadata.deletionTimestamp === undefined) this.#syncDeployment(deployment);
    }
    for (const replicaSet of this.store.list(this.kinds.replicaSet, undefined)) {
      if (replicaSet.metadata.deletionTimestamp === undefined) this.#syncReplicaSet(replicaSet);
    }
  }

  #syncDeployment(deployment: KubeObject): void {
    const namespace = deployment.metadata.namespace;
    const spec = record(deployment['spec']);
    const replicas = Number(spec['replicas'] ?? 1);
    const template = record(spec['template']);
    const hash = templateHash(template);
    const owned = this.store.list(this.kinds.replicaSet, namespace).filter((rs) => isOwnedBy(rs, deployment));
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0)));
    let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    if (spec['paused'] !== true) {
      if (newRs === undefined) {
        const templateMeta = record(template['metadata']);
        newRs = this.store.create(this.kinds.replicaSet, namespace, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${deployment.metadata.name}-${hash}`,
            namespace,
            labels: { ...(templateMeta['labels'] as Record<string, string> | undefined), 'pod-template-hash': hash },
            annotations: { [REVISION]: String(maxRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(replicas) },
            ownerReferences: [controllerRef(deployment)],
          },
          spec: {
            replicas: 0,
            selector: { matchLabels: { ...record(record(spec['selector'])['matchLabels']), 'pod-template-hash': hash } },
            template: { ...template, metadata: { ...templateMeta, labels: { ...(templateMeta['labels'] as Record<string, string> | undefined), 'pod-template-hash': hash } } },
          },
        });
      } else if (Number(newRs.metadata.annotations?.[REVISION] ?? 0) < maxRevision) {
        newRs = this.store.mutate(this.kinds.replicaSet, namespace, newRs.metadata.name, (rs) => {
          rs.metadata.annotations = { ...rs.metadata.annotations, [REVISION]: String(maxRevision + 1) };
        }) ?? newRs;
      }
      const olds = owned.filter((rs) => rs.metadata.name !== newRs?.metadata.name);
      const oldPods = olds.reduce((sum, rs) => sum + Number(record(rs['status'])['replicas'] ?? 0), 0);
      const recreate = record(spec['strategy'])['type'] === 'Recreate';
      const newAvailable = Number(record(newRs['status'])['availableReplicas'] ?? 0);
      const scale = (rs: KubeObject, to: number): void => {
        if (Number(record(rs['spec'])['replicas'] ?? 0) === to) return;
        this.store.mutate(this.kinds.replicaSet, namespace, rs.metadata.name, (object) => {
          object['spec'] = { ...record(object['spec']), replicas: to };
          object.metadata.annotations = { ...object.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(replicas) };
        });
      };
      if (recreate && oldPods > 0) {
        for (const rs of olds) scale(rs, 0);
      } else {
        scale(newRs, replicas);
        if (newAvailable >= replicas) for (const rs of olds) scale(rs, 0);
      }
    }
    if (newRs !== undefined) this.#syncRevision(deployment, newRs);

    const fresh = this.store.list(this.kinds.replicaSet, namespace).filter((rs) => isOwnedBy(rs, deployment));
    const sum = (field: string, list: KubeObject[]): number => list.reduce((total, rs) => total + Number(record(rs['status'])[field] ?? 0), 0);
    const newest = fresh.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const updated = newest === undefined ? 0 : Number(record(newest['status'])['replicas'] ?? 0);
    const total = sum('replicas', fresh);
    const available = sum('availableReplicas', fresh);
    const ready = sum('readyReplicas', fresh);
    const complete = newest !== undefined && updated === replicas && total === replicas && available >= replicas;
    const previous = record(deployment['status']);
    // Progress, as the real controller counts it: a new spec, more updated/ready/available pods, fewer old ones.
    const progressed =
      Number(previous['observedGeneration'] ?? 0) < Number(deployment.metadata.generation ?? 0) ||
      updated > Number(previous['updatedReplicas'] ?? 0) ||
      ready > Number(previous['readyReplicas'] ?? 0) ||
      available > Number(previous['availableReplicas'] ?? 0) ||
      total - updated < Number(previous['replicas'] ?? 0) - Number(previous['updatedReplicas'] ?? 0);
    const progressing = progressingCondition({
      previous: records(previous['conditions']).find((c) => c['type'] === 'Progressing'),
      replicaSet: newest?.metadata.name ?? '',
      complete,
      progressed,
      paused: spec['paused'] === true,
      deadlineSeconds: Number(spec['progressDeadlineSeconds'] ?? 600),
    });
    this.store.mutate(
      this.kinds.deployment,
      namespace,
      deployment.metadata.name,
      (object) => {
        const status = record(object['status']);
        const conditions = withCondition(
          status['conditions'],
          available >= replicas
            ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
            : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
          'update',
        ).filter((c) => c['type'] !== 'Progressing');
        object['status'] = {
          observedGeneration: object.metadata.generation,
          replicas: total,
          updatedReplicas: updated,
          readyReplicas: ready,
          availableReplicas: available,
          ...(total - available > 0 ? { unavailableReplicas: total - available } : {}),
          conditions: [...conditions, progressing],
        };
      },
      { subresource: 'status' },
    );
  }

  /** The Deployment's revision annotation is its current ReplicaSet's, as the real controller keeps it. */
  #syncRevision(deployment: KubeObject, current: KubeObject): void {
    const revision = current.metadata.annotations?.[REVISION];
    if (revision === undefined || deployment.metadata.annotations?.[REVISION] === revision) return;
    this.store.mutate(this.kinds.deployment, deployment.metadata.namespace, deployment.metadata.name, (object) => {
      object.metadata.annotations = { ...object.metadata.annotations, [REVISION]: revision };
    });
  }

  #syncReplicaSet(replicaSet: KubeObject): void {
    const namespace = replicaSet.metadata.namespace;
    const spec = record(replicaSet['spec']);
    const desired = Number(spec['replicas'] ?? 1);
    const pods = this.store.list(this.kinds.pod, namespace).filter((pod) => isOwnedBy(pod, replicaSet));
    const active = pods.filter((pod) => !isPodInactive(pod));
    for (const pod of pods) {
      const phase = record(pod['status'])['phase'];
      if (pod.metadata.deletionTimestamp === undefined && (phase === 'Failed' || phase === 'Succeeded')) {
        this.store.delete(this.kinds.pod, namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
      }
    }
    const template = record(spec['template']);
    const templateMeta = record(template['metadata']);
    for (let i = active.length; i < desired; i += 1) {
      this.store.create(this.kinds.pod, namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${replicaSet.metadata.name}-${randomBytes(4).toString('hex').slice(0, 5)}`,
          namespace,
          labels: { ...(templateMeta['labels'] as Record<string, string> | undefined) },
          ...(templateMeta['annotations'] === undefined ? {} : { annotations: templateMeta['annotations'] as Record<string, string> }),
          ownerReferences: [controllerRef(replicaSet)],
        },
        spec: structuredClone(record(template['spec'])),
      });
    }
    if (active.length > desired) {
      const victims = [...active].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b))).slice(0, active.length - desired);
      for (const pod of victims) this.store.delete(this.kinds.pod, namespace, pod.metadata.name, {});
    }
    const current = this.store.list(this.kinds.pod, namespace).filter((pod) => isOwnedBy(pod, replicaSet) && !isPodInactive(pod));
    const ready = current.filter(isPodReady).length;
    this.store.mutate(
      this.kinds.replicaSet,
      namespace,
      replicaSet.metadata.name,
      (object) => {
        object['status'] = {
          replicas: current.length,
          fullyLabeledReplicas: current.length,
          readyReplicas: ready,
          availableReplicas: ready,
          observedGeneration: object.metadata.generation,
        };
      },
      { subresource: 'status' },
    );
  }
}

/**
 * The Progressing condition as the real controller keeps it: `NewReplicaSetAvailable` once the rollout is
 * complete; `ReplicaSetUpdated` with a fresh `lastUpdateTime` whenever the rollout progressed; and, when it has not
 * progressed for `progressDeadlineSeconds` (never while paused), `False` / `ProgressDeadlineExceeded`, which makes
 * `kubectl rollout status` fail with "exceeded its progress deadline".
 *
 * @example
 * progressingCondition({ previous: undefined, replicaSet: 'web-abc', complete: false, progressed: true, paused: false, deadlineSeconds: 600 });
 */
export function progressingCondition(options: {
  previous: Record<string, unknown> | undefined;
  replicaSet: string;
  complete: boolean;
  progressed: boolean;
  paused: boolean;
  deadlineSeconds: number;
  now?: Date;
}): Record<string, unknown> {
  const { previous, replicaSet, complete, progressed, paused, deadlineSeconds } = options;
  const now = options.now ?? new Date();
  const set = (status: string, reason: string, message: string, touch: boolean): Record<string, unknown> => {
    const same = previous !== undefined && previous['status'] === status && previous['reason'] === reason && previous['message'] === message;
    if (same && !touch) return previous;
    return {
      type: 'Progressing',
      status,
      lastUpdateTime: timestamp(now),
      lastTransitionTime: previous !== undefined && previous['status'] === status ? previous['lastTransitionTime'] : timestamp(now),
      reason,
      message,
    };
  };
  if (complete) return set('True', 'NewReplicaSetAvailable', `ReplicaSet "${replicaSet}" has successfully progressed.`, false);
  const reason = previous?.['reason'];
  if (progressed || previous === undefined || (reason === 'NewReplicaSetAvailable' && previous['message'] !== `ReplicaSet "${replicaSet}" has successfully progressed.`)) {
    return set('True', 'ReplicaSetUpdated', `ReplicaSet "${replicaSet}" is progressing.`, true);
  }
  const lastUpdate = Date.parse(String(previous['lastUpdateTime'] ?? ''));
  const timedOut = !paused && reason !== 'NewReplicaSetAvailable' && Number.isFinite(lastUpdate) && lastUpdate + deadlineSeconds * 1000 < now.getTime();
  if (timedOut) return set('False', 'ProgressDeadlineExceeded', `ReplicaSet "${replicaSet}" has timed out progressing.`, false);
  return previous;
}

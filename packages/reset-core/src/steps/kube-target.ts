import type { Kube, WorkloadId } from '@matrix-reset/k8s-ops';
import type { KubernetesTarget } from '../config/reset-config.ts';
import type { PlanInput, StepContext } from './step-definition.ts';
import type { KubernetesObservation } from '../observe/observe.ts';
import type { Plan, PlanObserved, PlanWorkload } from '../plan/plan-model.ts';
import { ResetError } from '../reset-error.ts';

/** The cluster and the environment's Kubernetes target, for the steps that act on Synapse's workload. */
export function kubeAccess(context: StepContext): { readonly kube: Kube; readonly target: KubernetesTarget } {
  const { environment, kube } = context.connection;
  const target = environment.kubernetes;
  if (target === undefined || kube === undefined) {
    throw new ResetError('unsupported', `Step ${context.step.id} needs the Kubernetes target of ${environment.name}, and there is none`, {
      nextSteps: ['Add a kubernetes: section to the environment, or follow this step of the runbook by hand.'],
    });
  }
  return { kube, target };
}

/** The observation's Kubernetes part, for a step's description; a full-reset plan needs it (see the plan builder). */
export function observedKubernetes(input: PlanInput): KubernetesObservation {
  const k = input.observation.kubernetes;
  if (k === undefined) throw new Error('plan invariant: full-reset steps are described only with a Kubernetes observation');
  return k;
}

/** A string the plan observed for this step (`(none)` and empty count as absent). */
export function observedString(context: StepContext, key: string): string | undefined {
  const value = context.step.observed[key];
  return typeof value === 'string' && value !== '' && value !== '(none)' ? value : undefined;
}

/** The claim the plan observed (or the configured one). */
export function claimName(context: StepContext, target: KubernetesTarget): string {
  const name = observedString(context, 'pvc') ?? target.pvc;
  if (name === undefined) {
    const { kind, name: workload } = plannedKubernetes(context).workload;
    throw new ResetError('unsupported', `The plan names no claim for ${kind} ${target.namespace}/${workload}`, {
      nextSteps: ['Set kubernetes.pvc in the config to the claim holding Synapse\'s data, make a new plan, and apply that one.'],
    });
  }
  return name;
}

/** With whenScaled=Delete the scale-down itself deletes the claim (a StatefulSet's claim template's, not a pod volume's). */
export function claimDeletedOnScaleDown(input: PlanInput): boolean {
  const k = input.observation.kubernetes;
  return k?.workload.retentionPolicy?.whenScaled === 'Delete' && k.pvc.source === 'volumeClaimTemplate';
}

/** What the plan observed of the Kubernetes target (a full-reset plan always has it). */
export function plannedKubernetes(context: { readonly plan: Plan }): NonNullable<PlanObserved['kubernetes']> {
  const k = context.plan.observed.kubernetes;
  if (k === undefined) throw new Error('plan invariant: Kubernetes steps are planned only with a Kubernetes observation');
  return k;
}

/** `Deployment matrix/matrix-synapse` */
export function workloadLabel(namespace: string, workload: PlanWorkload | WorkloadId): string {
  return `${workload.kind} ${namespace}/${workload.name}`;
}

/** The workloads as one sentence: `Deployment matrix/a, Deployment matrix/b and StatefulSet matrix/c`. */
export function workloadList(namespace: string, workloads: readonly (PlanWorkload | WorkloadId)[]): string {
  const labels = workloads.map((w) => workloadLabel(namespace, w));
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/** `kubectl -n matrix scale deployment matrix-synapse --replicas=1` */
export function scaleCommand(namespace: string, workload: PlanWorkload, replicas = workload.replicas): string {
  return `kubectl -n ${namespace} scale ${workload.kind.toLowerCase()} ${workload.name} --replicas=${replicas}`;
}

import type { Kube } from '@matrix-reset/k8s-ops';
import type { KubernetesTarget } from '../config/reset-config.ts';
import type { PlanInput, StepContext } from './step-definition.ts';
import type { KubernetesObservation } from '../observe/observe.ts';
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
    throw new ResetError('unsupported', `The plan names no claim for StatefulSet ${target.namespace}/${target.statefulSet}`, {
      nextSteps: ['Set kubernetes.pvc in the config, make a new plan, and apply that one.'],
    });
  }
  return name;
}

/** With whenScaled=Delete the scale-down itself deletes the claim. */
export function claimDeletedOnScaleDown(input: PlanInput): boolean {
  return input.observation.kubernetes?.statefulSet.retentionPolicy.whenScaled === 'Delete';
}

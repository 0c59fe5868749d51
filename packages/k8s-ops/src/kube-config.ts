import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ApisApi,
} from '@kubernetes/client-node';
import { K8sOpsError } from './k8s-ops-error.ts';

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; default: `KUBECONFIG` (merged) or `~/.kube/config`, then the in-cluster service account. */
  kubeconfigPath?: string;
  /** The context to use; default: the kubeconfig's current context. */
  context?: string;
  /**
   * Contexts this caller may act on. A context not named here is refused before any request is sent, so a
   * command meant for `dev` cannot run against `prod` because of a stale current-context.
   */
  allowedContexts?: readonly string[];
  /** Use the pod's service account (`/var/run/secrets/kubernetes.io/serviceaccount`). */
  inCluster?: boolean;
}

/**
 * Loads a kubeconfig and selects a context, refusing contexts not on the caller's allow-list.
 *
 * @example
 * const kc = loadKubeConfig({ context: 'dev-cluster', allowedContexts: ['dev-cluster'] });
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.inCluster) kc.loadFromCluster();
    else if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (cause) {
    throw new K8sOpsError('kubeconfig_invalid', `Cannot load the kubeconfig${options.kubeconfigPath ? ` ${options.kubeconfigPath}` : ''}`, {
      cause,
      nextSteps: ['Point KUBECONFIG (or the kubeconfig option) at a valid kubeconfig file.'],
    });
  }
  if (options.inCluster) return kc;
  const wanted = options.context ?? kc.getCurrentContext();
  const known = kc.getContexts().map((c) => c.name);
  if (!wanted || !known.includes(wanted)) {
    throw new K8sOpsError('context_missing', `The kubeconfig has no context "${wanted ?? ''}"`, {
      nextSteps: [`Use one of: ${known.join(', ') || '(none)'}.`],
    });
  }
  if (options.allowedContexts !== undefined && !options.allowedContexts.includes(wanted)) {
    throw new K8sOpsError('context_not_allowed', `The kube context "${wanted}" is not allowed here`, {
      nextSteps: [`Allowed contexts: ${options.allowedContexts.join(', ') || '(none)'}. Select one with --context, or add "${wanted}" to the environment's configuration if it is really meant.`],
    });
  }
  kc.setCurrentContext(wanted);
  return kc;
}

/** The API clients k8s-ops uses, made once from one KubeConfig. */
export interface Kube {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly coordination: CoordinationV1Api;
  readonly custom: CustomObjectsApi;
  readonly apis: ApisApi;
  /** The namespace the current context names, or `default`. */
  readonly defaultNamespace: string;
}

/**
 * Makes the API clients for a KubeConfig.
 *
 * @example
 * const kube = createKube(loadKubeConfig({ context: 'kube-sim' }));
 * const shape = await readStatefulSetShape(kube, { namespace: 'openmeet-dev', name: 'matrix' });
 */
export function createKube(config: KubeConfig): Kube {
  const context = config.getContextObject(config.getCurrentContext());
  return Object.freeze({
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    apis: config.makeApiClient(ApisApi),
    defaultNamespace: context?.namespace ?? 'default',
  });
}

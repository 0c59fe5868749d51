import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  caCert: string;
  token: string;
  namespace: string;
  /** Context, cluster and user name. Default `kube-sim`. */
  name?: string;
}

/**
 * The kubeconfig text for a kube-sim: one cluster (CA inlined), one token user, one context, current.
 *
 * @example
 * renderKubeconfig({ server: 'https://127.0.0.1:6443', caCert: pem, token, namespace: 'default' });
 */
export function renderKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'kube-sim';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: options.server, 'certificate-authority-data': Buffer.from(options.caCert).toString('base64') } },
    ],
    users: [{ name, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace } }],
    'current-context': name,
    preferences: {},
  });
}

/**
 * Writes the kubeconfig with mode 0600 (it holds the token).
 *
 * @example
 * await writeKubeconfig('/tmp/sim/kubeconfig', { server, caCert, token, namespace: 'default' });
 */
export async function writeKubeconfig(file: string, options: KubeconfigOptions): Promise<void> {
  await writeFile(file, renderKubeconfig(options), { mode: 0o600 });
}

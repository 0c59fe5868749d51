import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseResetConfig, resolveEnvironment } from '@matrix-reset/reset-core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { unique } from './test-support/service-fixture.ts';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const deploy = join(root, 'deploy');
const manifests = join(deploy, 'manifests');

async function kubectl(args: string[], input?: string): Promise<string> {
  if (!process.env.KUBECONFIG) throw new Error('KUBECONFIG is not set: run through apps/http/vitest.config.ts (kube-sim global setup)');
  const child = exec('kubectl', args, { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

interface ContainerJson {
  securityContext: object;
  readinessProbe: { httpGet: object };
  livenessProbe: { httpGet: object };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources: object;
  env: { name: string; value?: string; valueFrom?: unknown }[];
}
interface DeploymentJson {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { spec: { serviceAccountName: string; terminationGracePeriodSeconds?: number; securityContext: object; containers: ContainerJson[]; volumes: object[] } };
  };
}
interface RoleJson {
  kind: string;
  rules: unknown[];
}
interface RoleBindingJson {
  roleRef: object;
  subjects: object[];
}
interface ServiceJson {
  spec: { ports: object[]; selector: Record<string, string> };
}
interface ConfigMapJson {
  data: Record<string, string>;
}

async function getJson<T>(kind: string, name: string, namespace: string): Promise<T> {
  return JSON.parse(await kubectl(['get', kind, name, '-n', namespace, '-o', 'json'])) as T;
}

/** The matrix-reset.yaml the ConfigMap carries, written to a file of its own. */
async function configFromConfigMap(): Promise<{ text: string; path: string }> {
  const configMap = parse(await readFile(join(manifests, 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
  const text = configMap.data['matrix-reset.yaml']!;
  const path = join(await mkdtemp(join(tmpdir(), 'deploy-config-')), 'matrix-reset.yaml');
  await writeFile(path, text);
  return { text, path };
}

/** A file without its leading comment lines. */
const withoutHeader = (text: string) => text.replace(/^(#[^\n]*\n)+/, '');

const namespaces: string[] = [];
async function freshNamespace(): Promise<string> {
  const name = `deploy-${unique()}`;
  await kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`);
  namespaces.push(name);
  return name;
}

afterAll(async () => {
  if (namespaces.length > 0) await kubectl(['delete', 'namespace', ...namespaces, '--wait=false']);
});

describe('deploy/', () => {
  it("carries a valid matrix-reset.yaml with a service section, and its Role and RoleBinding are exactly what `matrix-reset rbac` prints for it", async () => {
    const { text, path } = await configFromConfigMap();
    const config = parseResetConfig(text, { path });
    expect(config.service?.environment).toBe('openmeet-dev');
    expect(config.service?.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    const environment = resolveEnvironment(config, 'openmeet-dev');
    expect(environment.kubernetes?.namespace).toBe('openmeet-dev');

    const { stdout } = await exec(process.execPath, [join(root, 'apps/cli/bin/run.js'), 'rbac', '--config', path, '--env', 'openmeet-dev'], { env: { ...process.env, NO_COLOR: '1' } });
    const [namespaced, cluster] = stdout.split(/^---\n(?=# Optional)/m);
    expect(withoutHeader(await readFile(join(manifests, 'rbac.yaml'), 'utf8'))).toBe(namespaced);
    expect(withoutHeader(await readFile(join(deploy, 'cluster', 'read-persistentvolumes.yaml'), 'utf8'))).toBe(withoutHeader(cluster ?? ''));
  });

  it('kubectl apply -k (an overlay into a fresh namespace): server dry run creates nothing, the real apply creates every object as written', async () => {
    const namespace = await freshNamespace();
    const overlay = await mkdtemp(join(tmpdir(), 'deploy-overlay-'));
    await writeFile(join(overlay, 'kustomization.yaml'), `namespace: ${namespace}\nresources:\n  - ${relative(overlay, deploy)}\n`);

    const dryRun = await kubectl(['apply', '-k', overlay, '--dry-run=server']);
    expect(dryRun).toContain('deployment.apps/matrix-reset-http created (server dry run)');
    expect(dryRun).toContain('role.rbac.authorization.k8s.io/matrix-reset created (server dry run)');
    await expect(kubectl(['get', 'deployment', 'matrix-reset-http', '-n', namespace])).rejects.toThrow(/NotFound|not found/);

    const applied = await kubectl(['apply', '-k', overlay]);
    for (const object of ['serviceaccount/matrix-reset', 'role.rbac.authorization.k8s.io/matrix-reset', 'rolebinding.rbac.authorization.k8s.io/matrix-reset', 'configmap/matrix-reset-config', 'service/matrix-reset-http', 'deployment.apps/matrix-reset-http']) {
      expect(applied).toContain(`${object} created`);
    }

    const deployment = await getJson<DeploymentJson>('deployment', 'matrix-reset-http', namespace);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(pod.serviceAccountName).toBe('matrix-reset');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // Readiness without Synapse (a full reset scales it to 0), liveness of the process alone, a drain before SIGTERM.
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz/local', port: 'http' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(container.resources).toMatchObject({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } });
    // Secrets by reference only: no env value holds one.
    const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
    expect(env.DATABASE_URL).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'matrix-reset-secrets', key: 'DATABASE_URL' } } });
    expect(env.MATRIX_RESET_SESSION_SECRET?.valueFrom).toBeDefined();
    expect(env.MATRIX_RESET_CONFIG?.value).toBe('/etc/matrix-reset/matrix-reset.yaml');
    expect(pod.volumes).toContainEqual({ name: 'config', configMap: expect.objectContaining({ name: 'matrix-reset-config' }) });

    const configMap = await getJson<ConfigMapJson>('configmap', 'matrix-reset-config', namespace);
    expect(configMap.data['matrix-reset.yaml']).toBe((await configFromConfigMap()).text);

    const committedRole = parseAllDocuments(await readFile(join(manifests, 'rbac.yaml'), 'utf8')).map((d) => d.toJS() as RoleJson).find((d) => d.kind === 'Role')!;
    const role = await getJson<RoleJson>('role', 'matrix-reset', namespace);
    expect(role.rules).toEqual(committedRole.rules);
    const binding = await getJson<RoleBindingJson>('rolebinding', 'matrix-reset', namespace);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'matrix-reset' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'matrix-reset', namespace }]);
    const service = await getJson<ServiceJson>('service', 'matrix-reset-http', namespace);
    expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('the namespace-agnostic manifests apply with kubectl apply -f -n <namespace>, and the committed kustomization passes a server dry run as it is', async () => {
    const namespace = await freshNamespace();
    const files = ['configmap.yaml', 'deployment.yaml', 'service.yaml'].flatMap((f) => ['-f', join(manifests, f)]);
    expect(await kubectl(['apply', '-n', namespace, ...files, '--dry-run=server'])).toContain('deployment.apps/matrix-reset-http created (server dry run)');
    expect(await kubectl(['apply', '-n', namespace, ...files])).toContain('deployment.apps/matrix-reset-http created');
    const names = (await kubectl(['get', 'deployment,service,configmap', '-n', namespace, '-o', 'name'])).split('\n').filter((l) => l.includes('matrix-reset'));
    expect(names.sort()).toEqual(['configmap/matrix-reset-config', 'deployment.apps/matrix-reset-http', 'service/matrix-reset-http']);

    // deploy/ itself targets openmeet-dev (the namespace rbac.yaml was generated for).
    await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: openmeet-dev\n');
    const dryRun = await kubectl(['apply', '-k', deploy, '--dry-run=server']);
    expect(dryRun).toMatch(/rolebinding.rbac.authorization.k8s.io\/matrix-reset (created|configured|unchanged) \(server dry run\)/);
    expect(dryRun).toMatch(/deployment.apps\/matrix-reset-http (created|configured|unchanged) \(server dry run\)/);
  });
});

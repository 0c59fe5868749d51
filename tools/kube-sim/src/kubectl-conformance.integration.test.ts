import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { kubectl } from './test-support/kubectl.ts';

let sim: KubeSim;
const k = (args: string[], input?: string) => kubectl(sim.kubeconfigPath, args, input);

function namespaceYaml(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
}

function statefulSetYaml(namespace: string, name: string): string {
  return `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 1
  serviceName: ${name}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: main
        image: busybox:1.36
        command: [sleep, infinity]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;
}

beforeAll(async () => {
  sim = await startKubeSim({});
});

afterAll(async () => {
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

describe('kubectl against kube-sim', () => {
  it('api-resources lists the kinds with short names and groups', async () => {
    const result = await k(['api-resources']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/statefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet/);
    expect(result.stdout).toMatch(/persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim/);
  });

  it('apply creates, get and describe read back, a second apply is unchanged', async () => {
    const yaml = namespaceYaml('conf-apply') + '---\n' + statefulSetYaml('conf-apply', 'web');
    expect((await k(['apply', '-f', '-'], yaml)).stdout).toContain('statefulset.apps/web created');
    // A StatefulSet with volumeClaimTemplates re-applies as "configured" on real clusters too (defaulted
    // template status); what matters is that the second apply is accepted.
    const again = await k(['apply', '-f', '-'], yaml);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('namespace/conf-apply unchanged');
    expect((await k(['get', 'sts', 'web', '-n', 'conf-apply', '-o', 'jsonpath={.spec.serviceName}'])).stdout).toBe('web');
    expect((await k(['describe', 'sts', 'web', '-n', 'conf-apply'])).stdout).toMatch(/Replicas:\s+1 desired/);
  });

  it('merge, JSON and strategic patches apply; generation moves only on spec changes', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-patch'));
    await k(['apply', '-f', '-'], statefulSetYaml('conf-patch', 'db'));
    const generation = async () => Number((await k(['get', 'sts', 'db', '-n', 'conf-patch', '-o', 'jsonpath={.metadata.generation}'])).stdout);
    const before = await generation();
    expect((await k(['patch', 'sts', 'db', '-n', 'conf-patch', '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}'])).code).toBe(0);
    expect(await generation()).toBe(before);
    expect((await k(['patch', 'sts', 'db', '-n', 'conf-patch', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]'])).code).toBe(0);
    expect(await generation()).toBe(before + 1);
    const strategic = await k(['patch', 'sts', 'db', '-n', 'conf-patch', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"A","value":"1"}]}]}}}}']);
    expect(strategic.code).toBe(0);
    const containers = JSON.parse((await k(['get', 'sts', 'db', '-n', 'conf-patch', '-o', 'jsonpath={.spec.template.spec.containers}'])).stdout) as { image: string; env: unknown[] }[];
    expect(containers).toHaveLength(1);
    expect(containers[0]?.image).toBe('busybox:1.36');
    expect(containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('scale goes through the scale subresource, whose resourceVersion is the parent\'s', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-scale'));
    await k(['apply', '-f', '-'], statefulSetYaml('conf-scale', 'db'));
    expect((await k(['scale', 'statefulset', 'db', '--replicas=0', '-n', 'conf-scale'])).stdout).toContain('scaled');
    const parentVersion = async () => (await k(['get', 'sts', 'db', '-n', 'conf-scale', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    let scale: { kind: string; spec: { replicas: number }; metadata: { resourceVersion: string } } | undefined;
    let parent = '';
    // Controllers keep writing the StatefulSet's status; compare only when the parent did not move in between.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const before = await parentVersion();
      scale = JSON.parse((await k(['get', '--raw', '/apis/apps/v1/namespaces/conf-scale/statefulsets/db/scale'])).stdout) as typeof scale;
      parent = await parentVersion();
      if (before === parent) break;
    }
    if (scale === undefined) throw new Error('no Scale read');
    expect(scale.kind).toBe('Scale');
    expect(scale.spec.replicas).toBe(0);
    expect(scale.metadata.resourceVersion).toBe(parent);
  });

  it('an update with a stale resourceVersion answers 409 Conflict', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-conflict'));
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: conf-conflict}\ndata: {a: "1"}\n');
    const stale = (await k(['get', 'cm', 'c', '-n', 'conf-conflict', '-o', 'json'])).stdout;
    await k(['patch', 'cm', 'c', '-n', 'conf-conflict', '--type=merge', '-p', '{"data":{"a":"2"}}']);
    const result = await k(['replace', '-f', '-'], stale);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('the object has been modified; please apply your changes to the latest version and try again');
  });

  it('get -w streams a change made after the watch started', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-watch'));
    const watcher = spawn('kubectl', ['get', 'configmaps', '-n', 'conf-watch', '-w', '-o', 'name'], { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } });
    let output = '';
    watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: seen-by-watch, namespace: conf-watch}\n');
    for (let i = 0; i < 50 && !output.includes('seen-by-watch'); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    watcher.kill('SIGTERM');
    expect(output).toContain('configmap/seen-by-watch');
  });

  it('a watch on persistentvolumeclaims delivers only PVC events, not a Pod\'s or a Secret\'s changes', async () => {
    const ns = 'conf-watch-kind';
    await k(['apply', '-f', '-'], `${namespaceYaml(ns)}---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ${ns}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ${ns}}
stringData: {key: value}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: ${ns}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: main, image: busybox:1.36, command: [sleep, infinity]}]
`);
    const watcher = spawn('kubectl', ['get', '--raw', `/api/v1/namespaces/${ns}/persistentvolumeclaims?watch=1`], { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } });
    let output = '';
    watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 100 && !output.includes(text); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    await waitFor('"ADDED"');
    expect((await k(['annotate', 'pod', 'app', '-n', ns, 'seen=pod'])).code).toBe(0);
    expect((await k(['annotate', 'secret', 'creds', '-n', ns, 'seen=secret'])).code).toBe(0);
    expect((await k(['annotate', 'pvc', 'data', '-n', ns, 'seen=pvc'])).code).toBe(0);
    await waitFor('"seen":"pvc"');
    watcher.kill('SIGTERM');
    const events = output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { type: string; object: { kind: string; metadata: { name: string; annotations?: Record<string, string> } } });
    expect(events.map((event) => event.object.kind)).toEqual(events.map(() => 'PersistentVolumeClaim'));
    expect(events.filter((event) => event.type === 'MODIFIED').map((event) => event.object.metadata.annotations?.['seen'])).toContain('pvc');
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('a PVC a pod still uses stays Terminating until the pod is gone', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-pvc'));
    await k(['apply', '-f', '-'], statefulSetYaml('conf-pvc', 'db'));
    expect((await k(['wait', '--for=condition=Ready', 'pod/db-0', '-n', 'conf-pvc', '--timeout=30s'])).code).toBe(0);
    expect((await k(['delete', 'pvc', 'data-db-0', '-n', 'conf-pvc', '--wait=false'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const terminating = await k(['get', 'pvc', 'data-db-0', '-n', 'conf-pvc', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
    expect(terminating.stdout).not.toBe('');
    expect((await k(['scale', 'statefulset', 'db', '--replicas=0', '-n', 'conf-pvc'])).code).toBe(0);
    expect((await k(['wait', '--for=delete', 'pvc/data-db-0', '-n', 'conf-pvc', '--timeout=30s'])).code).toBe(0);
    expect((await k(['get', 'pod', 'db-0', '-n', 'conf-pvc'])).stderr).toContain('NotFound');
  });

  it('rollout restart rolls a Deployment and the new pod reads the Secret as it is now', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-rollout'));
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: api-secrets, namespace: conf-rollout}\nstringData: {TOKEN: first}\n');
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: conf-rollout}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: api
        image: kube-sim/app
        ports: [{containerPort: 3000}]
        env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: api-secrets, key: TOKEN}}}]
        readinessProbe: {httpGet: {path: /health, port: 3000}}
`;
    await k(['apply', '-f', '-'], deployment);
    expect((await k(['rollout', 'status', 'deployment/api', '-n', 'conf-rollout', '--timeout=60s'])).code).toBe(0);
    const digest = async () => (await k(['exec', 'deploy/api', '-n', 'conf-rollout', '--', 'curl', '-s', 'http://localhost:3000/env-digest'])).stdout;
    const before = JSON.parse(await digest()) as { env: Record<string, string> };
    await k(['patch', 'secret', 'api-secrets', '-n', 'conf-rollout', '--type=merge', '-p', `{"stringData":{"TOKEN":"second"}}`]);
    expect(JSON.parse(await digest())).toMatchObject({ env: before.env });
    expect((await k(['rollout', 'restart', 'deployment/api', '-n', 'conf-rollout'])).stdout).toContain('restarted');
    expect((await k(['rollout', 'status', 'deployment/api', '-n', 'conf-rollout', '--timeout=60s'])).stdout).toContain('successfully rolled out');
    for (let i = 0; i < 50 && (await k(['get', 'pods', '-n', 'conf-rollout', '-o', 'name'])).stdout.trim().split('\n').length > 1; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = JSON.parse(await digest()) as { env: Record<string, string> };
    expect(after.env['TOKEN']).not.toBe(before.env['TOKEN']);
  });

  it('a Deployment\'s revision annotation follows its current ReplicaSet, after a create and after a rollout restart', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-revision'));
    await k(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: conf-revision}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers: [{name: main, image: busybox:1.36, command: [sleep, infinity]}]
`);
    const status = () => k(['rollout', 'status', 'deployment/web', '-n', 'conf-revision', '--timeout=60s']);
    const revision = async () => (await k(['get', 'deploy', 'web', '-n', 'conf-revision', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).stdout;
    // Once a rollout is complete, the current ReplicaSet is the one scaled to the Deployment's replicas.
    const currentReplicaSetRevision = async () =>
      (await k(['get', 'rs', '-n', 'conf-revision', '-l', 'app=web', '-o', 'jsonpath={.items[?(@.spec.replicas==1)].metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).stdout;
    expect((await status()).code).toBe(0);
    expect(await revision()).toBe('1');
    expect(await currentReplicaSetRevision()).toBe('1');

    expect((await k(['rollout', 'restart', 'deployment/web', '-n', 'conf-revision'])).code).toBe(0);
    expect((await status()).stdout).toContain('successfully rolled out');
    expect(await revision()).toBe('2');
    expect(await currentReplicaSetRevision()).toBe('2');
    expect((await k(['rollout', 'history', 'deployment/web', '-n', 'conf-revision'])).stdout).toMatch(/^1\s.*\n2\s/m);
  });

  it('exec reports the command\'s exit code', async () => {
    await k(['apply', '-f', '-'], namespaceYaml('conf-exec'));
    await k(['apply', '-f', '-'], statefulSetYaml('conf-exec', 'db'));
    await k(['wait', '--for=condition=Ready', 'pod/db-0', '-n', 'conf-exec', '--timeout=30s']);
    const result = await k(['exec', 'db-0', '-n', 'conf-exec', '--', 'sh', '-c', 'echo hello; exit 3']);
    expect(result.stdout).toBe('hello\n');
    expect(result.code).toBe(3);
  });
});

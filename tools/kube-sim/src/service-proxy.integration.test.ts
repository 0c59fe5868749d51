import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './test-support/client-node.ts';
import { kubectl } from './test-support/kubectl.ts';
import { sharedKubeSim } from './test-support/shared-kube-sim.ts';

// Services as pods see them (a ClusterIP proxied to a ready pod or to an Endpoints address, names in each pod's
// /etc/hosts) and the probes that need no HTTP (tcpSocket, exec), through the real kubectl.

const currentSim = sharedKubeSim();
const k = (args: string[], input?: string) => kubectl(currentSim().kubeconfigPath, args, input);
let hostServer: Server;

function manifests(ns: string, hostPort: number): string {
  return `
apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Service
metadata: { name: outside, namespace: ${ns} }
spec:
  ports: [{ name: http, port: 8080 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: outside, namespace: ${ns} }
subsets: [{ addresses: [{ ip: 127.0.0.1 }], ports: [{ name: http, port: ${hostPort} }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: ${ns}, labels: { app: web } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: kube-sim/app
      ports: [{ name: http, containerPort: 3000 }]
      readinessProbe: { tcpSocket: { port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: ${ns} }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: shell
      image: busybox
      command: [sleep, infinity]
      readinessProbe: { exec: { command: [test, -f, /etc/hosts] }, periodSeconds: 1 }
`;
}

beforeAll(async () => {
  hostServer = createServer((_request, response) => response.end('from the host'));
  await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  await new Promise<void>((resolve) => hostServer.close(() => resolve()));
});

describe('Services for pods', () => {
  it('a pod reaches a Service by <name>.<namespace>.svc and by its short name, proxied to the ready pod behind it', async () => {
    const ns = 'svc-dns';
    expect((await k(['apply', '-f', '-'], manifests(ns, (hostServer.address() as AddressInfo).port))).code).toBe(0);
    expect((await k(['wait', '--for=condition=Ready', 'pod/web', 'pod/client', '-n', ns, '--timeout=60s'])).code).toBe(0);
    const clusterIP = (await k(['get', 'service', 'web', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    expect(clusterIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    const full = await eventually(async () => {
      const result = await k(['exec', 'client', '-n', ns, '--', 'curl', '-s', '--max-time', '3', `http://web.${ns}.svc.cluster.local/health`]);
      return result.code === 0 ? result.stdout : undefined;
    }, 15_000, 'web through its Service');
    expect(full).toBe('ok');
    expect((await k(['exec', 'client', '-n', ns, '--', 'curl', '-s', '--max-time', '3', 'http://web/health'])).stdout).toBe('ok');
    expect((await k(['exec', 'client', '-n', ns, '--', 'getent', 'hosts', `web.${ns}.svc`])).stdout.split(/\s+/)[0]).toBe(clusterIP);
  });

  it('a Service without a selector reaches the address its Endpoints name (127.0.0.1 is the node: the host)', async () => {
    const result = await k(['exec', 'client', '-n', 'svc-dns', '--', 'curl', '-s', '--max-time', '3', 'http://outside.svc-dns.svc:8080/']);
    expect(result.stdout).toBe('from the host');
    expect((await k(['get', 'endpoints', '-n', 'svc-dns'])).stdout).toContain(`127.0.0.1:${(hostServer.address() as AddressInfo).port}`);
  });

  it('the host reaches a Service at its ClusterIP', async () => {
    const clusterIP = (await k(['get', 'service', 'web', '-n', 'svc-dns', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    expect(await (await fetch(`http://${clusterIP}/health`)).text()).toBe('ok');
  });
});

import { rm } from 'node:fs/promises';
import { AppsV1Api, ApiException, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { httpsJson } from './test-support/https-json.ts';
import { kubectl } from './test-support/kubectl.ts';

let sim: KubeSim;
const NS = 'faults-http';

beforeAll(async () => {
  sim = await startKubeSim({});
  const yaml = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: matrix, namespace: ${NS}}
spec:
  replicas: 0
  serviceName: matrix
  selector: {matchLabels: {app: matrix}}
  template:
    metadata: {labels: {app: matrix}}
    spec: {containers: [{name: main, image: busybox:1.36, command: [sleep, infinity]}]}
`;
  expect((await kubectl(sim.kubeconfigPath, ['apply', '-f', '-'], yaml)).code).toBe(0);
});

afterAll(async () => {
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

function appsApi(): AppsV1Api {
  const config = new KubeConfig();
  config.loadFromFile(sim.kubeconfigPath);
  return config.makeApiClient(AppsV1Api);
}

describe('fault injection over HTTP (/_kube-sim/faults)', () => {
  it('answers 401 without the API bearer token', async () => {
    const response = await httpsJson(sim.faultsUrl, { method: 'POST', ca: sim.caCert, body: { dropWatches: true } });
    expect(response.status).toBe(401);
    expect(response.body['reason']).toBe('Unauthorized');
  });

  it('a 409 injected on update statefulsets/scale reaches client-node once, then updates pass', async () => {
    const injected = await httpsJson(sim.faultsUrl, {
      method: 'POST',
      ca: sim.caCert,
      token: sim.token,
      body: { verb: 'update', resource: 'statefulsets/scale', namespace: NS, name: 'matrix', times: 1, effect: { kind: 'status', code: 409 } },
    });
    expect(injected).toEqual({ status: 200, body: { applied: 'failNext' } });
    const apps = appsApi();
    const scale = await apps.readNamespacedStatefulSetScale({ name: 'matrix', namespace: NS });
    const first = await apps.replaceNamespacedStatefulSetScale({ name: 'matrix', namespace: NS, body: { ...scale, spec: { replicas: 0 } } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(first).toBeInstanceOf(ApiException);
    expect((first as ApiException<string>).code).toBe(409);
    expect(JSON.parse((first as ApiException<string>).body) as unknown).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    const second = await apps.replaceNamespacedStatefulSetScale({ name: 'matrix', namespace: NS, body: { ...scale, spec: { replicas: 0 } } });
    expect(second.spec?.replicas).toBe(0);
  });

  it('deny makes kubectl see an RBAC-shaped 403 until DELETE clears every fault', async () => {
    const denied = await httpsJson(sim.faultsUrl, { method: 'POST', ca: sim.caCert, token: sim.token, body: { deny: { verb: 'get', resource: 'statefulsets', namespace: NS } } });
    expect(denied.body).toEqual({ applied: 'deny' });
    const forbidden = await kubectl(sim.kubeconfigPath, ['get', 'statefulset', 'matrix', '-n', NS]);
    expect(forbidden.code).not.toBe(0);
    expect(forbidden.stderr).toContain('forbidden: User "kube-sim-admin" cannot get resource "statefulsets"');
    expect(await httpsJson(sim.faultsUrl, { method: 'DELETE', ca: sim.caCert, token: sim.token })).toEqual({ status: 200, body: { cleared: true } });
    expect((await kubectl(sim.kubeconfigPath, ['get', 'statefulset', 'matrix', '-n', NS])).code).toBe(0);
  });

  it('refuses a malformed body with a 400 Status that says what is wrong', async () => {
    const response = await httpsJson(sim.faultsUrl, { method: 'POST', ca: sim.caCert, token: sim.token, body: { verb: 'get', effect: { kind: 'status', code: 418 } } });
    expect(response.status).toBe(400);
    expect(String(response.body['message'])).toContain('effect.code must be one of 409, 429, 500, 503');
  });
});

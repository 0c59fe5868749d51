import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssmClientFromEnv, MANAGED_LABEL } from './external-secret-controller.ts';
import type { KubeObject } from './kube-object.ts';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { kubectl } from './test-support/kubectl.ts';

// Runs against the sandbox's moto (AWS_ENDPOINT_URL_SSM from the Vitest global setup).
let sim: KubeSim;
const run = randomBytes(4).toString('hex');
const ssm = ssmClientFromEnv(process.env['AWS_REGION'] || 'us-east-1');
const k = (args: string[], input?: string) => kubectl(sim.kubeconfigPath, args, input);

beforeAll(async () => {
  sim = await startKubeSim({ customResources: ['external-secrets'] });
});

afterAll(async () => {
  ssm.destroy();
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

async function eventually<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function secret(namespace: string, name: string): KubeObject | undefined {
  const type = sim.registry.find('', 'v1', 'secrets');
  return type === undefined ? undefined : sim.store.tryGet(type, namespace, name);
}

function externalSecret(namespace: string, name: string): KubeObject | undefined {
  const type = sim.registry.find('external-secrets.io', 'v1', 'externalsecrets');
  return type === undefined ? undefined : sim.store.tryGet(type, namespace, name);
}

const decode = (object: KubeObject | undefined, key: string): string | undefined => {
  const value = (object?.['data'] as Record<string, string> | undefined)?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

function manifests(namespace: string, key: string, property?: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${namespace}}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: aws-ssm, namespace: ${namespace}}
spec: {provider: {aws: {service: ParameterStore, region: us-east-1}}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api, namespace: ${namespace}}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: SecretStore, name: aws-ssm}
  target: {name: api-secrets}
  data:
  - secretKey: TOKEN
    remoteRef: {key: ${key}${property === undefined ? '' : `, property: ${property}`}}
`;
}

describe('ExternalSecret controller (SSM Parameter Store via moto)', () => {
  it('discovery lists the external-secrets kinds only when switched on', async () => {
    expect((await k(['api-resources', '--api-group=external-secrets.io'])).stdout).toMatch(/externalsecrets\s+es\s+external-secrets.io\/v1\s+true\s+ExternalSecret/);
    const plain = await startKubeSim({});
    try {
      const result = await kubectl(plain.kubeconfigPath, ['api-resources']);
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('externalsecrets');
    } finally {
      await plain.stop();
      await rm(plain.stateDir, { recursive: true, force: true });
    }
  });

  it('fills the target Secret, managed and owned, and a force-sync picks up a new version long before refreshInterval', async () => {
    const ns = `es-sync-${run}`;
    const key = `/kube-sim-test/${run}/token`;
    await ssm.send(new PutParameterCommand({ Name: key, Value: 'first', Type: 'SecureString' }));
    expect((await k(['apply', '-f', '-'], manifests(ns, key))).code).toBe(0);

    const created = await eventually(() => (decode(secret(ns, 'api-secrets'), 'TOKEN') === 'first' ? secret(ns, 'api-secrets') : undefined));
    expect(created.metadata.labels?.[MANAGED_LABEL]).toBe('true');
    const es = externalSecret(ns, 'api');
    expect(created.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ExternalSecret', name: 'api', uid: es?.metadata.uid, controller: true })]);
    const status = es?.['status'] as { refreshTime?: string; syncedResourceVersion?: string; conditions?: { type: string; status: string }[] };
    expect(status.refreshTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(status.syncedResourceVersion).toMatch(/^1-/);
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True', reason: 'SecretSynced' }));
    const ready = await k(['get', 'externalsecret', 'api', '-n', ns, '-o', "jsonpath={.status.conditions[?(@.type=='Ready')].status}"]);
    expect(ready.stdout).toBe('True');

    await ssm.send(new PutParameterCommand({ Name: key, Value: 'second', Type: 'SecureString', Overwrite: true }));
    const started = Date.now();
    expect((await k(['annotate', 'externalsecret', 'api', '-n', ns, `force-sync=${Date.now()}`, '--overwrite'])).code).toBe(0);
    const updated = await eventually(() => (decode(secret(ns, 'api-secrets'), 'TOKEN') === 'second' ? secret(ns, 'api-secrets') : undefined), 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(updated.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
  });

  it('a sync with unchanged data leaves the Secret (and its resourceVersion) alone', async () => {
    const ns = `es-same-${run}`;
    const key = `/kube-sim-test/${run}/same`;
    await ssm.send(new PutParameterCommand({ Name: key, Value: JSON.stringify({ token: 'inner' }), Type: 'String' }));
    expect((await k(['apply', '-f', '-'], manifests(ns, key, 'token'))).code).toBe(0);
    const first = await eventually(() => (decode(secret(ns, 'api-secrets'), 'TOKEN') === 'inner' ? secret(ns, 'api-secrets') : undefined));
    const refreshed = String((externalSecret(ns, 'api')?.['status'] as Record<string, unknown>)['syncedResourceVersion']);
    expect((await k(['annotate', 'externalsecret', 'api', '-n', ns, 'force-sync=again', '--overwrite'])).code).toBe(0);
    await eventually(() => {
      const version = (externalSecret(ns, 'api')?.['status'] as Record<string, unknown>)['syncedResourceVersion'];
      return version !== refreshed ? version : undefined;
    });
    expect(secret(ns, 'api-secrets')?.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  });

  it('a missing parameter sets Ready False with the SSM error (ParameterNotFound)', async () => {
    const ns = `es-missing-${run}`;
    expect((await k(['apply', '-f', '-'], manifests(ns, `/kube-sim-test/${run}/absent`))).code).toBe(0);
    const condition = await eventually(() => {
      const conditions = (externalSecret(ns, 'api')?.['status'] as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions;
      return conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
    });
    expect(condition.message).toContain('ParameterNotFound');
    expect(secret(ns, 'api-secrets')).toBeUndefined();
  });
});

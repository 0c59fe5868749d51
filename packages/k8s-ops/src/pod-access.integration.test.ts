import type { V1StatefulSet } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kube } from './kube-config.ts';
import { execInPod } from './pod-exec.ts';
import { portForwardToPod } from './port-forward.ts';
import { waitForStatefulSetReady } from './scale-workload.ts';
import { appStatefulSet, freshNamespace, testKube } from './test-support/kube-env.ts';

let kube: Kube;
let namespace: string;
beforeAll(async () => {
  kube = testKube();
  namespace = await freshNamespace(kube);
  await kube.apps.createNamespacedStatefulSet({ namespace, body: appStatefulSet('app') as V1StatefulSet });
  await waitForStatefulSetReady(kube, { namespace, name: 'app', timeoutMs: 60_000 });
});

describe('execInPod', () => {
  it('returns stdout, stderr and a non-zero exit code as a result', async () => {
    const result = await execInPod(kube, { namespace, pod: 'app-0', command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('feeds stdin, so a secret never has to be an argument', async () => {
    const result = await execInPod(kube, { namespace, pod: 'app-0', command: ['sh', '-c', 'read line; echo "got ${#line} chars"'], stdin: 's3cret-pass\n' });
    expect(result).toEqual({ stdout: 'got 11 chars\n', stderr: '', exitCode: 0 });
  });

  it('runs inside the pod: its volume is at /data', async () => {
    await execInPod(kube, { namespace, pod: 'app-0', command: ['sh', '-c', 'echo hello > /data/probe'] });
    expect((await execInPod(kube, { namespace, pod: 'app-0', command: ['cat', '/data/probe'] })).stdout).toBe('hello\n');
  });
});

describe('portForwardToPod', () => {
  it('forwards a local port to the pod\'s port', async () => {
    const forward = await portForwardToPod(kube, { namespace, pod: 'app-0', port: 3000 });
    try {
      const first = await fetch(`${forward.url}/health`);
      expect(first.status).toBe(200);
      const second = await fetch(`${forward.url}/health`);
      expect(second.status).toBe(200);
    } finally {
      await forward.close();
    }
  });

  it('finds the pod for each connection when given a function (a Deployment\'s pods change names); a connection it cannot place is closed', async () => {
    let pod: string | undefined;
    const asked: number[] = [];
    const forward = await portForwardToPod(kube, {
      namespace,
      pod: async () => {
        asked.push(asked.length);
        if (pod === undefined) throw new Error('no ready pod');
        return pod;
      },
      port: 3000,
    });
    try {
      await expect(fetch(`${forward.url}/health`)).rejects.toThrow();
      pod = 'app-0';
      expect((await fetch(`${forward.url}/health`, { headers: { connection: 'close' } })).status).toBe(200);
      expect((await fetch(`${forward.url}/health`, { headers: { connection: 'close' } })).status).toBe(200);
      expect(asked.length).toBeGreaterThanOrEqual(3);
    } finally {
      await forward.close();
    }
  });
});

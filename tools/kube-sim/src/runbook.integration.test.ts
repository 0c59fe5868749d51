import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { kubectl, portForward } from './test-support/kubectl.ts';

// A throwaway password for a throwaway homeserver; the runbook passes it on the command line, so this test does too.
const ADMIN_PASSWORD = 'kube-sim-runbook-throwaway-1';
const NS = 'openmeet-dev';

let sim: KubeSim;
const k = (args: string[]) => kubectl(sim.kubeconfigPath, args);

async function loginThroughPortForward(): Promise<{ status: number; body: Record<string, unknown> }> {
  const forward = await portForward(sim.kubeconfigPath, ['matrix-0', '-n', NS, ':8008']);
  try {
    const response = await fetch(`http://127.0.0.1:${forward.port}/_matrix/client/r0/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'admin' }, password: ADMIN_PASSWORD }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } finally {
    forward.stop();
  }
}

async function whoami(token: string): Promise<Record<string, unknown>> {
  const forward = await portForward(sim.kubeconfigPath, ['matrix-0', '-n', NS, ':8008']);
  try {
    const response = await fetch(`http://127.0.0.1:${forward.port}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${token}` } });
    return (await response.json()) as Record<string, unknown>;
  } finally {
    forward.stop();
  }
}

async function registerAdmin(): Promise<void> {
  const result = await k(['exec', 'matrix-0', '-n', NS, '--', 'register_new_matrix_user', '-u', 'admin', '-p', ADMIN_PASSWORD, '-a', '-c', '/data/homeserver.yaml', 'http://localhost:8008']);
  expect(result.stdout + result.stderr).toContain('Success!');
}

beforeAll(async () => {
  sim = await startKubeSim({ scenario: 'openmeet-dev' });
  const ready = await k(['rollout', 'status', 'statefulset/matrix', '-n', NS, '--timeout=90s']);
  expect(ready.code).toBe(0);
  await k(['wait', '--for=condition=Ready', 'pod/matrix-0', '-n', NS, '--timeout=90s']);
});

afterAll(async () => {
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

describe('the matrix-reset runbook against a real Synapse pod', () => {
  it('resets the homeserver: a token issued before answers M_UNKNOWN_TOKEN after', async () => {
    await registerAdmin();
    const before = await loginThroughPortForward();
    expect(before.status).toBe(200);
    const oldToken = String(before.body['access_token']);
    expect((await whoami(oldToken))['user_id']).toBe('@admin:matrix-local.openmeet.test');

    expect((await k(['scale', 'statefulset', 'matrix', '--replicas=0', '-n', NS])).code).toBe(0);
    expect((await k(['wait', '--for=delete', 'pod/matrix-0', '-n', NS, '--timeout=60s'])).code).toBe(0);
    expect((await k(['delete', 'pvc', 'data-matrix-0', '-n', NS])).stdout).toContain('deleted');
    expect((await k(['get', 'pvc', 'data-matrix-0', '-n', NS])).stderr).toContain('NotFound');
    expect((await k(['scale', 'statefulset', 'matrix', '--replicas=1', '-n', NS])).code).toBe(0);
    expect((await k(['rollout', 'status', 'statefulset/matrix', '-n', NS, '--timeout=90s'])).code).toBe(0);
    expect((await k(['wait', '--for=condition=Ready', 'pod/matrix-0', '-n', NS, '--timeout=90s'])).code).toBe(0);

    await registerAdmin();
    const after = await loginThroughPortForward();
    expect(after.status).toBe(200);
    expect(after.body['access_token']).not.toBe(oldToken);
    expect((await whoami(oldToken))['errcode']).toBe('M_UNKNOWN_TOKEN');
  });
});

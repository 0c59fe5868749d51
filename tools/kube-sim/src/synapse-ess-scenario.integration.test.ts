import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './kube-sim.ts';
import { kubectl } from './test-support/kubectl.ts';
import { registerWithSharedSecret } from './test-support/synapse-registration.ts';

const NS = 'ess';

let sim: KubeSim;
const k = (args: string[]) => kubectl(sim.kubeconfigPath, args);

/** One query on the scenario's own Postgres, with psql inside its pod (kubectl exec), unaligned. */
async function psqlInPod(database: string, sql: string): Promise<string> {
  const result = await k(['exec', 'ess-postgres-0', '-n', NS, '-c', 'postgres', '--', 'psql', '-X', '-tA', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', database, '-c', sql]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

beforeAll(async () => {
  sim = await startKubeSim({ scenario: 'synapse-ess' });
  expect((await k(['rollout', 'status', 'statefulset/ess-postgres', '-n', NS, '--timeout=120s'])).code).toBe(0);
  expect((await k(['rollout', 'status', 'statefulset/ess-synapse-main', '-n', NS, '--timeout=120s'])).code).toBe(0);
});

afterAll(async () => {
  await sim?.stop();
  if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
});

describe('the synapse-ess scenario', () => {
  it("runs a real Postgres in its pod, its data on the pod's PVC, the synapse database UTF8 with C collation owned by synapse_user", async () => {
    expect(await psqlInPod('postgres', "SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = 'synapse'")).toBe('UTF8|C|C|synapse_user');
    expect(await psqlInPod('postgres', 'SHOW data_directory')).toBe('/var/lib/postgres/data/pgdata');
    expect((await k(['get', 'pvc', 'ess-postgres-data', '-n', NS, '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Bound');
  });

  it("runs Synapse on it: a user registered through Synapse's Service is a row in users of that Postgres", async () => {
    const clusterIP = (await k(['get', 'service', 'ess-synapse', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const secret = (await k(['get', 'secret', 'ess-generated', '-n', NS, '-o', 'jsonpath={.data.SYNAPSE_REGISTRATION_SHARED_SECRET}'])).stdout;
    const user = `ess${randomBytes(4).toString('hex')}`;
    const registered = await registerWithSharedSecret({ url: `http://${clusterIP}:8008`, sharedSecret: Buffer.from(secret, 'base64').toString('utf8'), user, password: randomBytes(12).toString('base64url') });
    expect(registered).toEqual({ status: 200, userId: `@${user}:matrix-ess.openmeet.test` });
    expect(await psqlInPod('synapse', `SELECT name FROM users WHERE name = '@${user}:matrix-ess.openmeet.test'`)).toBe(`@${user}:matrix-ess.openmeet.test`);
  });

  it('lists the Synapse and Postgres StatefulSets and the app with kubectl', async () => {
    expect((await k(['get', 'statefulsets', '-n', NS, '-o', 'name'])).stdout.trim().split('\n').sort()).toEqual(['statefulset.apps/ess-postgres', 'statefulset.apps/ess-synapse-main']);
    expect((await k(['get', 'statefulsets', '-n', NS, '-l', 'app.kubernetes.io/component=matrix-stack-db', '-o', 'name'])).stdout.trim()).toBe('statefulset.apps/ess-postgres');
    expect((await k(['rollout', 'status', 'deployment/openmeet-api', '-n', NS, '--timeout=60s'])).code).toBe(0);
  });
});

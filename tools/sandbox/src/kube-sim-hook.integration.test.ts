import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './sandbox-env.ts';
import { alivePids, descendantPids, hostInterfaces } from './test-support/helpers.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'sandbox.js');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 180_000, env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('sandbox up --with kube', () => {
  it('exports a KUBECONFIG on which the real kubectl sees the scenario; down leaves no process or veth behind', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mr-kube-test-'));
    const interfacesBefore = new Set(hostInterfaces());
    const up = await run(process.execPath, [BIN, 'up', '--json', '--state-dir', stateDir, '--with', 'kube', '--attach-to', String(process.pid)]);
    expect(up.code, up.stderr).toBe(0);
    const result = JSON.parse(up.stdout) as { env: Record<string, string> };
    const env = parseEnvFile(await readFile(join(stateDir, 'sandbox.env'), 'utf8'));
    expect(env['KUBECONFIG']).toBe(join(stateDir, 'kube', 'kubeconfig'));
    expect(env['KUBE_SIM_FAULTS_URL']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/_kube-sim\/faults$/);
    expect(result.env['KUBECONFIG']).toBe(env['KUBECONFIG']);
    expect(env['AWS_ENDPOINT_URL_SSM']).toBeTruthy(); // kube asks for ssm

    const kubectlEnv = { ...process.env, KUBECONFIG: env['KUBECONFIG'] };
    const sts = await run('kubectl', ['get', 'statefulset', 'matrix', '-n', 'openmeet-dev', '-o', 'jsonpath={.metadata.name}'], kubectlEnv);
    expect(sts, sts.stderr).toMatchObject({ code: 0, stdout: 'matrix' });
    const ready = await run('kubectl', ['wait', '--for=condition=Ready', 'pod/matrix-0', '-n', 'openmeet-dev', '--timeout=90s'], kubectlEnv);
    expect(ready.code, ready.stderr).toBe(0);
    // The scenario's ExternalSecret filled the API's Secret from the sandbox's moto.
    const secret = await run('kubectl', ['get', 'secret', 'openmeet-api-secrets', '-n', 'openmeet-dev', '-o', 'jsonpath={.data.MATRIX_ADMIN_USER}'], kubectlEnv);
    expect(Buffer.from(secret.stdout, 'base64').toString('utf8')).toBe('admin');

    const record = JSON.parse(await readFile(join(stateDir, 'sandbox.json'), 'utf8')) as { pids: number[]; ownerPid: number };
    const kubePid = record.pids[record.pids.length - 1]!;
    const podProcesses = descendantPids(kubePid);
    expect(podProcesses.length).toBeGreaterThan(2); // kube-sim itself, pause and container processes
    const podInterfaces = hostInterfaces().filter((name) => !interfacesBefore.has(name) && name.startsWith('ks'));
    expect(podInterfaces.length).toBeGreaterThan(0);

    const down = await run(process.execPath, [BIN, 'down', '--state-dir', stateDir]);
    expect(down.code, down.stderr).toBe(0);
    for (let i = 0; i < 50 && alivePids([...record.pids, ...podProcesses]).length > 0; i += 1) await sleep(100);
    expect(alivePids([record.ownerPid, ...record.pids, ...podProcesses])).toEqual([]);
    expect(hostInterfaces().filter((name) => podInterfaces.includes(name))).toEqual([]);
  });
});

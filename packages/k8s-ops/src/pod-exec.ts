import { Readable, Writable } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import { K8sOpsError, toK8sOpsError } from './k8s-ops-error.ts';
import type { Kube } from './kube-config.ts';

export interface ExecOptions {
  namespace: string;
  pod: string;
  /** Default: the pod's first container (the API server picks it when there is one). */
  container?: string;
  command: readonly string[];
  /**
   * Fed to the command's standard input. Pass secrets (passwords) this way, never as arguments: arguments are
   * visible in the process table, the API server's audit log and kubectl's history.
   */
  stdin?: string | Buffer;
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : 1;
}

/**
 * Runs a command in a pod's container over the exec WebSocket and collects stdout, stderr and the exit code.
 * A non-zero exit code is a result, not an error; an exec the server refuses (403, missing pod) is an error.
 *
 * @example
 * const { exitCode, stdout } = await execInPod(kube, { namespace: 'openmeet-dev', pod: 'matrix-0', command: ['cat', '/data/homeserver.yaml'] });
 */
export async function execInPod(kube: Kube, options: ExecOptions): Promise<ExecResult> {
  const { namespace, pod } = options;
  const request = { verb: 'create', resource: 'pods/exec', namespace, name: pod };
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  const sink = (chunks: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        callback();
      },
    });
  const stdin = options.stdin === undefined ? null : Readable.from([Buffer.from(options.stdin)]);
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      socketPromise.then((ws) => ws.close(), () => undefined);
      reject(
        new K8sOpsError('timeout', `exec in pod ${namespace}/${pod} did not finish within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`, {
          request,
          nextSteps: ['The command may still be running in the pod; check it with kubectl before retrying.'],
        }),
      );
    }, options.timeoutMs ?? 120_000);
    const finish = (status: V1Status) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Let buffered output frames arrive before answering.
      setImmediate(() =>
        resolve({
          stdout: Buffer.concat(stdoutChunks).toString('utf8'),
          stderr: Buffer.concat(stderrChunks).toString('utf8'),
          exitCode: exitCodeOf(status),
        }),
      );
    };
    const socketPromise = new Exec(kube.config).exec(
      namespace,
      pod,
      options.container ?? '',
      [...options.command],
      sink(stdoutChunks),
      sink(stderrChunks),
      stdin,
      false,
      finish,
    );
    socketPromise.then(
      (ws) =>
        ws.on('close', () => {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            reject(
              new K8sOpsError('exec_failed', `exec in pod ${namespace}/${pod} ended without an exit status`, {
                request,
                nextSteps: ['The connection to the API server or the container dropped; check the pod and retry.'],
              }),
            );
          }
        }),
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(toK8sOpsError(error, request));
      },
    );
  });
}

import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ExecTarget } from './kubelet.ts';

/** Channel-protocol versions served, newest first (v5 adds the 255 close signal for stdin). */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

/** The subprotocol to answer with: the first the client offers that is served here. */
export function pickProtocol(offered: Set<string>, supported: readonly string[]): string | false {
  return supported.find((protocol) => offered.has(protocol)) ?? false;
}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

/** The `Status` kubectl reads from channel 3 (v4+): success, or `NonZeroExitCode` with the code as a cause. */
export function exitStatus(command: readonly string[], code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/**
 * `kubectl exec` / client-node `Exec` over WebSocket: runs the command inside the pod's network and mount
 * namespaces (`nsenter -t <pause> -n -m`) with the container's environment, so `/data` and `localhost:8008`
 * are the pod's. Channels 0 stdin, 1 stdout, 2 stderr, 3 status, 255 close (v5).
 *
 * @example
 * const exec = createExecHandler();
 * server.on('upgrade', (req, socket, head) => exec.handle(req, socket, head, target, ['ls', '/data'], { stdin: false }));
 */
export function createExecHandler(): { handle: (request: IncomingMessage, socket: Duplex, head: Buffer, target: ExecTarget, command: string[], streams: { stdin: boolean }) => void } {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => pickProtocol(offered, CHANNEL_PROTOCOLS) });
  return {
    handle(request, socket, head, target, command, streams) {
      wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
        const protocol = ws.protocol;
        const structuredStatus = protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io';
        const child = spawn('nsenter', ['-t', String(target.pid), '-n', '-m', '--wd=' + target.cwd, '--', ...command], {
          env: target.env,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        if (protocol !== 'v5.channel.k8s.io' && protocol !== 'v4.channel.k8s.io' && protocol !== 'v3.channel.k8s.io') {
          // Old protocols send an empty frame per channel first.
          ws.send(frame(STDOUT, ''));
          ws.send(frame(STDERR, ''));
        }
        if (!streams.stdin) child.stdin.end();
        child.stdout.on('data', (data: Buffer) => ws.send(frame(STDOUT, data)));
        child.stderr.on('data', (data: Buffer) => ws.send(frame(STDERR, data)));
        child.stdin.on('error', () => undefined);
        ws.on('message', (data: Buffer) => {
          const channel = data[0];
          if (channel === STDIN) child.stdin.write(data.subarray(1));
          else if (channel === CLOSE && data[1] === STDIN) child.stdin.end();
        });
        ws.on('close', () => {
          if (child.exitCode === null) child.kill('SIGKILL');
        });
        child.on('error', (error) => {
          ws.send(frame(ERROR, structuredStatus ? JSON.stringify({ metadata: {}, status: 'Failure', message: error.message, reason: 'InternalError' }) : error.message));
          ws.close(1000);
        });
        child.on('close', (code, signal) => {
          const exitCode = code ?? (signal === null ? 1 : 128 + 9);
          if (structuredStatus) ws.send(frame(ERROR, JSON.stringify(exitStatus(command, exitCode))));
          else if (exitCode !== 0) ws.send(frame(ERROR, `command terminated with non-zero exit code: exit code ${exitCode}`));
          ws.close(1000);
        });
      });
    },
  };
}

import { createServer, type AddressInfo, type Socket } from 'node:net';
import { PortForward } from '@kubernetes/client-node';
import type { Kube } from './kube-config.ts';

export interface PortForwardOptions {
  namespace: string;
  /**
   * The pod, or how to find it for each new local connection: a Deployment's pods get new names when they are
   * replaced, so a forward to "its ready pod" outlives a restart (a connection made while none is found is closed).
   */
  pod: string | (() => Promise<string>);
  /** The pod's port. */
  port: number;
  /** The local port; default 0 (any free port). Always bound to 127.0.0.1. */
  localPort?: number;
}

/** A running port-forward: connect to `http://127.0.0.1:<localPort>`; `close()` stops it. */
export interface PortForwardHandle {
  localPort: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Forwards a local loopback port to a pod's port (one WebSocket to the API server per local connection), like
 * `kubectl port-forward`, so the Synapse admin API can be reached where it is not exposed on an ingress.
 *
 * @example
 * const forward = await portForwardToPod(kube, { namespace: 'openmeet-dev', pod: 'matrix-0', port: 8008 });
 * try { await fetch(`${forward.url}/health`); } finally { await forward.close(); }
 */
export async function portForwardToPod(kube: Kube, options: PortForwardOptions): Promise<PortForwardHandle> {
  const forward = new PortForward(kube.config, true);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const pod = typeof options.pod === 'string' ? Promise.resolve(options.pod) : options.pod();
    pod.then((name) => forward.portForward(options.namespace, name, [options.port], socket, null, socket)).then(
      (ws) => {
        if (typeof ws !== 'function') {
          ws.on('close', () => socket.destroy());
          socket.on('close', () => ws.close());
        }
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.localPort ?? 0, '127.0.0.1', () => resolve());
  });
  const localPort = (server.address() as AddressInfo).port;
  return {
    localPort,
    url: `http://127.0.0.1:${localPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CHANNEL_PROTOCOLS, pickProtocol } from './exec-websocket.ts';
import {
  FLAG_FIN,
  SpdyFrameParser,
  SpdyFrameType,
  SpdyHeaderDeflater,
  SpdyHeaderInflater,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
} from './spdy-framing.ts';

/** kubectl's tunneled protocol name; `ws` refuses it as a token (the `/`), so it is swapped for an alias. */
export const SPDY_OVER_WEBSOCKET = 'SPDY/3.1+portforward.k8s.io';
const SPDY_ALIAS = 'kube-sim-spdy-3.1-portforward';

interface ForwardPair {
  data?: number;
  error?: number;
  port: number;
  socket?: Socket;
}

/**
 * One SPDY/3.1 port-forward session (kubelet semantics): per forwarded connection the client opens an `error`
 * and a `data` stream with the same `requestid` and `port`; the data stream is piped to `podIP:port`, a
 * connection failure is written to the error stream.
 */
class SpdyPortForwardSession {
  readonly #send: (bytes: Buffer) => void;
  readonly #close: () => void;
  readonly #podIP: string;
  readonly #parser = new SpdyFrameParser();
  readonly #inflater = new SpdyHeaderInflater();
  readonly #deflater = new SpdyHeaderDeflater();
  readonly #pairs = new Map<string, ForwardPair>();
  readonly #streams = new Map<number, ForwardPair>();

  constructor(podIP: string, send: (bytes: Buffer) => void, close: () => void) {
    this.#podIP = podIP;
    this.#send = process.env['KUBE_SIM_DEBUG'] === undefined ? send : (bytes) => {
      process.stderr.write(`kube-sim: spdy send ${bytes.toString('hex')}\n`);
      send(bytes);
    };
    this.#close = close;
  }

  receive(chunk: Buffer): void {
    try {
      this.#receive(chunk);
    } catch (error) {
      // A frame we cannot read ends the session, never the simulator.
      if (process.env['KUBE_SIM_DEBUG'] !== undefined) process.stderr.write(`kube-sim: port-forward session failed: ${(error as Error).stack ?? String(error)}\n`);
      this.shutdown();
    }
  }

  #receive(chunk: Buffer): void {
    for (const frame of this.#parser.push(chunk)) {
      if (process.env['KUBE_SIM_DEBUG'] !== undefined) process.stderr.write(`kube-sim: spdy frame ${JSON.stringify({ ...frame, payload: frame.payload.length })}\n`);
      if (!frame.control) {
        this.#onData(frame.streamId, frame.flags, frame.payload);
        continue;
      }
      switch (frame.type) {
        case SpdyFrameType.SYN_STREAM:
          this.#onSynStream(frame.payload);
          break;
        case SpdyFrameType.PING:
          this.#send(controlFrame(SpdyFrameType.PING, 0, frame.payload));
          break;
        case SpdyFrameType.RST_STREAM:
          this.#onReset(frame.payload.readUInt32BE(0) & 0x7fffffff);
          break;
        case SpdyFrameType.GOAWAY:
          this.shutdown();
          break;
        case SpdyFrameType.HEADERS:
          this.#inflater.inflate(frame.payload.subarray(4));
          break;
        default:
          break;
      }
    }
  }

  shutdown(): void {
    for (const pair of this.#pairs.values()) pair.socket?.destroy();
    this.#pairs.clear();
    this.#close();
  }

  #onSynStream(payload: Buffer): void {
    const streamId = payload.readUInt32BE(0) & 0x7fffffff;
    const headers = decodeHeaderBlock(this.#inflater.inflate(payload.subarray(10)));
    this.#send(controlFrame(SpdyFrameType.SYN_REPLY, 0, Buffer.concat([uint32(streamId), this.#deflater.deflate(encodeHeaderBlock({}))])));
    const requestId = headers['requestid'] ?? String(streamId);
    const port = Number(headers['port'] ?? 0);
    const pair = this.#pairs.get(requestId) ?? { port };
    this.#pairs.set(requestId, pair);
    this.#streams.set(streamId, pair);
    if (headers['streamtype'] === 'error') pair.error = streamId;
    else if (headers['streamtype'] === 'data') pair.data = streamId;
    if (pair.data !== undefined && pair.error !== undefined && pair.socket === undefined) this.#connect(pair, requestId);
  }

  #connect(pair: ForwardPair, requestId: string): void {
    const socket = connect({ host: this.#podIP, port: pair.port });
    pair.socket = socket;
    const dataStream = pair.data ?? 0;
    const errorStream = pair.error ?? 0;
    if (process.env['KUBE_SIM_DEBUG'] !== undefined) {
      socket.on('connect', () => process.stderr.write(`kube-sim: pod socket connected ${Date.now()}\n`));
      socket.on('end', () => process.stderr.write(`kube-sim: pod socket end ${Date.now()}\n`));
    }
    socket.on('data', (chunk: Buffer) => {
      for (let offset = 0; offset < chunk.length; offset += 0xffff) this.#send(dataFrame(dataStream, 0, chunk.subarray(offset, offset + 0xffff)));
    });
    socket.on('error', (error) => {
      const message = `error forwarding port ${pair.port} to pod ${this.#podIP}: ${error.message}`;
      this.#send(dataFrame(errorStream, 0, Buffer.from(message)));
    });
    socket.on('close', (hadError) => {
      if (process.env['KUBE_SIM_DEBUG'] !== undefined) process.stderr.write(`kube-sim: pod socket closed ${this.#podIP}:${pair.port} hadError=${hadError} bytesRead=${socket.bytesRead}\n`);
      this.#send(dataFrame(dataStream, FLAG_FIN, Buffer.alloc(0)));
      this.#send(dataFrame(errorStream, FLAG_FIN, Buffer.alloc(0)));
      this.#pairs.delete(requestId);
    });
  }

  #onData(streamId: number, flags: number, payload: Buffer): void {
    const pair = this.#streams.get(streamId);
    if (pair === undefined) return;
    if (payload.length > 0) {
      if (streamId === pair.data) pair.socket?.write(payload);
      this.#send(controlFrame(SpdyFrameType.WINDOW_UPDATE, 0, Buffer.concat([uint32(streamId), uint32(payload.length)])));
    }
    if ((flags & FLAG_FIN) !== 0 && streamId === pair.data) pair.socket?.end();
  }

  #onReset(streamId: number): void {
    const pair = this.#streams.get(streamId);
    pair?.socket?.destroy();
    this.#streams.delete(streamId);
  }
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

/**
 * `kubectl port-forward` and client-node `PortForward` against a pod IP. Serves all three ways clients ask:
 * SPDY/3.1 tunneled in WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl >= 1.31), native `Upgrade: SPDY/3.1`
 * (kubectl's fallback), and the WebSocket channel protocol (`v4.channel.k8s.io`: each channel starts with the
 * 2-byte port; even channels data, odd channels errors).
 *
 * @example
 * const forward = createPortForwardHandler();
 * server.on('upgrade', (req, socket, head) => forward.handle(req, socket, head, '10.200.1.2', [8008]));
 */
export function createPortForwardHandler(): { handle: (request: IncomingMessage, socket: Duplex, head: Buffer, podIP: string, ports: number[]) => void } {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => pickProtocol(offered, [SPDY_ALIAS, ...CHANNEL_PROTOCOLS]),
  });
  wss.on('headers', (headers: string[]) => {
    for (let i = 0; i < headers.length; i += 1) headers[i] = (headers[i] ?? '').replace(SPDY_ALIAS, SPDY_OVER_WEBSOCKET);
  });

  const spdyOverWebSocket = (ws: WebSocket, podIP: string): void => {
    const session = new SpdyPortForwardSession(podIP, (bytes) => ws.readyState === ws.OPEN && ws.send(bytes), () => ws.close(1000));
    ws.on('message', (data: Buffer) => session.receive(data));
    ws.on('close', () => session.shutdown());
  };

  const channels = (ws: WebSocket, podIP: string, ports: number[]): void => {
    const sockets: Socket[] = [];
    ports.forEach((port, index) => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port);
      ws.send(Buffer.concat([Buffer.from([index * 2]), prefix]));
      ws.send(Buffer.concat([Buffer.from([index * 2 + 1]), prefix]));
      const socket = connect({ host: podIP, port });
      sockets[index] = socket;
      socket.on('data', (chunk: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([index * 2]), chunk])));
      socket.on('error', (error) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([index * 2 + 1]), Buffer.from(error.message)])));
      socket.on('close', () => ws.close(1000));
    });
    let first = new Set<number>();
    ws.on('message', (data: Buffer) => {
      const channel = data[0] ?? 0;
      const index = channel >> 1;
      let payload = data.subarray(1);
      // Clients may also send the 2-byte port first on each channel.
      if (!first.has(channel) && payload.length >= 2 && payload.readUInt16LE(0) === ports[index]) payload = payload.subarray(2);
      first.add(channel);
      if (channel % 2 === 0) sockets[index]?.write(payload);
    });
    ws.on('close', () => {
      first = new Set();
      for (const socket of sockets) socket?.destroy();
    });
  };

  const nativeSpdy = (request: IncomingMessage, socket: Duplex, head: Buffer, podIP: string): void => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    const session = new SpdyPortForwardSession(podIP, (bytes) => !socket.destroyed && socket.write(bytes), () => socket.end());
    if (head.length > 0) session.receive(head);
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('close', () => session.shutdown());
    socket.on('error', () => session.shutdown());
    void request;
  };

  return {
    handle(request, socket, head, podIP, ports) {
      if ((request.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1') {
        nativeSpdy(request, socket, head, podIP);
        return;
      }
      const offered = request.headers['sec-websocket-protocol'];
      if (offered !== undefined) request.headers['sec-websocket-protocol'] = offered.replace(SPDY_OVER_WEBSOCKET, SPDY_ALIAS);
      wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
        if (ws.protocol === SPDY_ALIAS) spdyOverWebSocket(ws, podIP);
        else channels(ws, podIP, ports);
      });
    },
  };
}

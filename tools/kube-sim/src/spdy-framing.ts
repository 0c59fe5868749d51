import { constants, inflateSync } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.ts';

/** SPDY/3.1 control frame types used by Kubernetes streaming. */
export const SpdyFrameType = Object.freeze({
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
});

export const FLAG_FIN = 0x01;

export type SpdyFrame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/**
 * Splits a SPDY/3.1 byte stream into frames (the stream may arrive cut anywhere: TCP, or WebSocket messages).
 *
 * @example
 * const parser = new SpdyFrameParser();
 * for (const frame of parser.push(chunk)) handle(frame);
 */
export class SpdyFrameParser {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: SpdyFrame[] = [];
    while (this.#buffer.length >= 8) {
      const length = this.#buffer.readUIntBE(5, 3);
      if (this.#buffer.length < 8 + length) break;
      const head = this.#buffer.readUInt32BE(0);
      const flags = this.#buffer[4] ?? 0;
      const payload = this.#buffer.subarray(8, 8 + length);
      if ((head & 0x80000000) !== 0) frames.push({ control: true, type: head & 0xffff, flags, payload });
      else frames.push({ control: false, streamId: head & 0x7fffffff, flags, payload });
      this.#buffer = this.#buffer.subarray(8 + length);
    }
    return frames;
  }
}

/** A control frame (version 3). */
export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(((0x8003 << 16) | type) >>> 0, 0);
  header[4] = flags;
  header.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([header, payload]);
}

/** A data frame. */
export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(streamId & 0x7fffffff, 0);
  header[4] = flags;
  header.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([header, payload]);
}

/** The uncompressed SPDY/3 name/value header block. */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(Object.keys(headers).length);
  parts.push(count);
  for (const [name, value] of Object.entries(headers)) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed header block (values with NUL separators are joined with `,`). */
export function decodeHeaderBlock(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  let offset = 4;
  const count = block.readUInt32BE(0);
  for (let i = 0; i < count; i += 1) {
    const nameLength = block.readUInt32BE(offset);
    const name = block.subarray(offset + 4, offset + 4 + nameLength).toString();
    offset += 4 + nameLength;
    const valueLength = block.readUInt32BE(offset);
    const value = block.subarray(offset + 4, offset + 4 + valueLength).toString().split('\0').join(',');
    offset += 4 + valueLength;
    headers[name] = value;
  }
  return headers;
}

/**
 * The receiving half of a connection's header compression: one zlib stream (primed with the SPDY/3
 * dictionary) spans every header block of the connection. Decompresses by inflating everything received so
 * far with a sync flush and returning the new output (header blocks are few and small here).
 */
export class SpdyHeaderInflater {
  #compressed: Buffer[] = [];
  #produced = 0;

  inflate(block: Buffer): Buffer {
    this.#compressed.push(block);
    const output = inflateSync(Buffer.concat(this.#compressed), { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    const fresh = output.subarray(this.#produced);
    this.#produced = output.length;
    return fresh;
  }
}

/**
 * The sending half: a valid continuation of one zlib stream made of stored (uncompressed) deflate blocks, each
 * header block ending in a sync-flush marker; any inflater reads it, and stored data needs no dictionary.
 */
export class SpdyHeaderDeflater {
  #started = false;

  deflate(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.#started) {
      parts.push(Buffer.from([0x78, 0x01]));
      this.#started = true;
    }
    for (let offset = 0; offset < block.length || offset === 0; offset += 0xffff) {
      const piece = block.subarray(offset, offset + 0xffff);
      const header = Buffer.alloc(5);
      header[0] = 0x00;
      header.writeUInt16LE(piece.length, 1);
      header.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(header, piece);
      if (block.length === 0) break;
    }
    // An empty stored block, as zlib's Z_SYNC_FLUSH writes: it makes the reader hand out the data now instead of
    // reading on into the next frame (Go's flate reader only flushes its window at such a marker).
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

// SPDY/3.1 framing (the subset moby/spdystream, and so client-go, speaks):
// control frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY,
// HEADERS, WINDOW_UPDATE, and DATA frames. Header blocks are handled here
// uncompressed; compression lives in the connection (one zlib context per
// direction).

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;

export const enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export type Frame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; data: Buffer };

/** Splits complete frames off the front of `buf`; returns them and the unconsumed rest. */
export function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let offset = 0;
  while (buf.length - offset >= 8) {
    const first = buf.readUInt32BE(offset);
    const flags = buf[offset + 4]!;
    const length = buf.readUIntBE(offset + 5, 3);
    if (buf.length - offset - 8 < length) break;
    const body = buf.subarray(offset + 8, offset + 8 + length);
    if (first & 0x80000000) {
      frames.push({ control: true, type: first & 0xffff, flags, payload: body });
    } else {
      frames.push({ control: false, streamId: first & 0x7fffffff, flags, data: body });
    }
    offset += 8 + length;
  }
  return { frames, rest: buf.subarray(offset) };
}

export function controlFrame(type: ControlType, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

export function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

/** Header block: count, then (name length, name, value length, value)*; values may hold NUL-separated lists. */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [uint32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(uint32(n.length), n, uint32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  if (block.length < 4) return headers;
  const count = block.readUInt32BE(0);
  let offset = 4;
  for (let i = 0; i < count; i++) {
    const nameLen = block.readUInt32BE(offset);
    const name = block.subarray(offset + 4, offset + 4 + nameLen).toString();
    offset += 4 + nameLen;
    const valueLen = block.readUInt32BE(offset);
    const value = block.subarray(offset + 4, offset + 4 + valueLen).toString();
    offset += 4 + valueLen;
    headers[name.toLowerCase()] = value.split('\0')[0]!;
  }
  return headers;
}

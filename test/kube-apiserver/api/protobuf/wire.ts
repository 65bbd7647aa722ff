// Protocol-buffers wire format reader: just what decoding Kubernetes objects
// needs (varints, length-delimited fields, fixed 32/64-bit skipped).

export interface WireField {
  number: number;
  wireType: number;
  /** varint value (wire type 0) */
  varint?: bigint;
  /** bytes (wire type 2) */
  bytes?: Buffer;
}

export function readFields(buf: Buffer): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  function varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  while (pos < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wireType = key & 7;
    switch (wireType) {
      case 0:
        fields.push({ number, wireType, varint: varint() });
        break;
      case 1:
        pos += 8;
        fields.push({ number, wireType });
        break;
      case 2: {
        const len = Number(varint());
        fields.push({ number, wireType, bytes: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        fields.push({ number, wireType });
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

/** int32/int64 fields are two's complement varints. */
export function toSignedNumber(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

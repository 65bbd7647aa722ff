import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeKubeProtobuf } from './decode.js';

// Minimal protobuf writer for building fixtures.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const field = (num: number, payload: Buffer | string): Buffer => {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return Buffer.concat([varint((num << 3) | 2), varint(data.length), data]);
};
const intField = (num: number, v: number): Buffer => Buffer.concat([varint(num << 3), varint(v)]);

describe('protobuf decoding', () => {
  it('decodes a ConfigMap envelope with maps, dropping proto2 zero values', () => {
    const meta = Buffer.concat([field(1, 'cfg'), field(2, ''), field(3, 'default'), field(11, Buffer.concat([field(1, 'app'), field(2, 'web')])), intField(7, 0)]);
    const raw = Buffer.concat([field(1, meta), field(2, Buffer.concat([field(1, 'k'), field(2, 'v')]))]);
    const unknown = Buffer.concat([field(1, Buffer.concat([field(1, 'v1'), field(2, 'ConfigMap')])), field(2, raw)]);
    const obj = decodeKubeProtobuf(Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]));
    assert.deepEqual(obj, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', labels: { app: 'web' } }, data: { k: 'v' } });
  });

  it('decodes IntOrString and repeated messages (Service ports)', () => {
    const port = Buffer.concat([field(1, 'http'), intField(3, 80), field(4, Buffer.concat([intField(1, 1), field(3, 'web')]))]);
    const raw = Buffer.concat([field(1, field(1, 'svc')), field(2, Buffer.concat([field(1, port), field(4, 'ClusterIP')]))]);
    const unknown = Buffer.concat([field(1, Buffer.concat([field(1, 'v1'), field(2, 'Service')])), field(2, raw)]);
    const obj = decodeKubeProtobuf(Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]));
    assert.deepEqual(obj.spec, { ports: [{ name: 'http', port: 80, targetPort: 'web' }], type: 'ClusterIP' });
  });
});

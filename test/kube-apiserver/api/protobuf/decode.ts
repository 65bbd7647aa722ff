// Decodes a Kubernetes protobuf body ("k8s\0" + runtime.Unknown envelope)
// into the JSON object the rest of the simulator works with.

import { ApiError } from '../status.js';
import { SCHEMAS } from './schemas.js';
import { readFields, toSignedNumber, type WireField } from './wire.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface FieldSpec {
  name: string;
  type: string;
  repeated: boolean;
  map: boolean;
  inline: boolean;
}

const compiled = new Map<string, Map<number, FieldSpec>>();

function schema(name: string): Map<number, FieldSpec> {
  let fields = compiled.get(name);
  if (fields) return fields;
  fields = new Map();
  for (const line of SCHEMAS[name] ?? []) {
    const [num, jsonName, rawType] = line.split(' ') as [string, string, string];
    let type = rawType;
    const inline = type.startsWith('inline:');
    if (inline) type = type.slice('inline:'.length);
    const repeated = type.startsWith('[]');
    if (repeated) type = type.slice(2);
    const map = type.startsWith('map<');
    if (map) type = type.slice(4, -1);
    fields.set(Number(num), { name: jsonName, type, repeated, map, inline });
  }
  compiled.set(name, fields);
  return fields;
}

function scalar(type: string, field: WireField): unknown {
  switch (type) {
    case 'string':
      return field.bytes?.toString('utf8') ?? '';
    case 'bytes':
      return (field.bytes ?? Buffer.alloc(0)).toString('base64');
    case 'int':
      return toSignedNumber(field.varint ?? 0n);
    case 'bool':
      return (field.varint ?? 0n) !== 0n;
    case 'Time': {
      const parts = readFields(field.bytes ?? Buffer.alloc(0));
      const seconds = toSignedNumber(parts.find((p) => p.number === 1)?.varint ?? 0n);
      return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    }
    case 'Quantity':
      return String(decodeMessage('Quantity', field.bytes ?? Buffer.alloc(0)).string ?? '');
    case 'IntOrString': {
      const v = decodeMessage('IntOrString', field.bytes ?? Buffer.alloc(0));
      return v.type === 1 ? v.strVal ?? '' : v.intVal ?? 0;
    }
    default:
      return decodeMessage(type, field.bytes ?? Buffer.alloc(0));
  }
}

export function decodeMessage(type: string, buf: Buffer): Record<string, unknown> {
  const fields = schema(type);
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const spec = fields.get(f.number);
    if (!spec) continue;
    if (spec.inline) {
      Object.assign(out, decodeMessage(spec.type, f.bytes ?? Buffer.alloc(0)));
    } else if (spec.map) {
      const entry = readFields(f.bytes ?? Buffer.alloc(0));
      const key = entry.find((e) => e.number === 1)?.bytes?.toString('utf8') ?? '';
      const value = entry.find((e) => e.number === 2);
      const map = (out[spec.name] ??= {}) as Record<string, unknown>;
      map[key] = value ? scalar(spec.type, value) : spec.type === 'string' || spec.type === 'bytes' ? '' : {};
    } else if (spec.repeated) {
      ((out[spec.name] ??= []) as unknown[]).push(scalar(spec.type, f));
    } else {
      out[spec.name] = scalar(spec.type, f);
    }
  }
  return out;
}

/** Zero values JSON would omit; proto2 sends them explicitly. */
const KEEP_ZERO = new Set(['replicas', 'containerPort', 'port', 'intVal']);
const KEEP_EMPTY = new Set(['emptyDir', 'resources']);

/**
 * gogo-protobuf writes every non-pointer field, so a decoded object carries
 * "" / 0 / false / zero times where the JSON form has nothing. Dropping them
 * lets server-side defaulting see "unset", as it does for JSON bodies.
 */
function prune(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => prune(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === '' || v === false) continue;
    if (v === 0 && !KEEP_ZERO.has(k)) continue;
    if (typeof v === 'string' && /^(0001|1970)-01-01T00:00:00Z$/.test(v)) continue;
    const pruned = prune(v, k);
    if (typeof pruned === 'object' && pruned !== null && !Array.isArray(pruned) && Object.keys(pruned).length === 0 && Object.keys(v as object).length > 0 && !KEEP_EMPTY.has(k)) continue;
    out[k] = pruned;
  }
  void key;
  return out;
}

export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** The envelope carries apiVersion/kind; the raw bytes are the typed message. */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (!isProtobuf(body)) throw new ApiError(415, 'UnsupportedMediaType', 'protobuf body without the k8s magic prefix');
  const envelope = readFields(body.subarray(4));
  const typeMeta = readFields(envelope.find((f) => f.number === 1)?.bytes ?? Buffer.alloc(0));
  const apiVersion = typeMeta.find((f) => f.number === 1)?.bytes?.toString('utf8') ?? '';
  const kind = typeMeta.find((f) => f.number === 2)?.bytes?.toString('utf8') ?? '';
  const raw = envelope.find((f) => f.number === 2)?.bytes ?? Buffer.alloc(0);
  if (!SCHEMAS[kind]) {
    throw new ApiError(415, 'UnsupportedMediaType', `the simulator cannot decode protobuf ${kind}; send JSON`);
  }
  const obj = prune(decodeMessage(kind, raw)) as Record<string, unknown>;
  return { apiVersion, kind, ...obj, metadata: obj.metadata ?? {} };
}

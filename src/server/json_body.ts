/**
 * JSON request bodies, strictly: bytes that are not UTF-8 are a 400 that names the field
 * (decoding them would silently store U+FFFD in place of what the client sent), and so are
 * strings that are not valid Unicode (a lone surrogate such as "\ud800") or hold a NUL
 * character (PostgreSQL cannot store it; nothing legitimate needs it). Parsing itself is
 * Fastify's (secure-json-parse: `__proto__` keys refused as before).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../lib/errors.js';

export function registerStrictJsonParser(app: FastifyInstance): void {
  const config = app.initialConfig as { onProtoPoisoning?: 'error' | 'remove' | 'ignore'; onConstructorPoisoning?: 'error' | 'remove' | 'ignore' };
  const parseJson = app.getDefaultJsonParser(config.onProtoPoisoning ?? 'error', config.onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, function parseStrictJson(request, body, done) {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(badRequest(invalidUtf8Message(bytes)), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), function checkStrings(err, value) {
      if (err) {
        done(err, undefined);
        return;
      }
      const problem = findBadString(value, []);
      done(problem ? badRequest(`400 Bad Request: ${problem}`) : null, problem ? undefined : value);
    });
  });
}

/** The path of the first string (key or value) that is not valid Unicode or holds a NUL, and why. */
function findBadString(value: unknown, path: Array<string | number>): string | null {
  if (typeof value === 'string') return describeBadString(value, formatPath(path));
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadString(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = describeBadString(key, `a key in ${formatPath(path)}`);
      if (keyProblem) return keyProblem;
      const found = findBadString(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describeBadString(text: string, where: string): string | null {
  if (LONE_SURROGATE.test(text)) return `${where} is not valid Unicode (it holds a lone surrogate such as \\ud800); send well-formed text`;
  if (text.includes('\u0000')) return `${where} contains a NUL character (\\u0000); remove it`;
  return null;
}

function formatPath(path: Array<string | number>): string {
  if (path.length === 0) return 'the body';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** "name is not valid UTF-8 (byte 0xFF at offset 12)…", naming the field the bad bytes are in. */
export function invalidUtf8Message(body: Buffer): string {
  const offset = firstInvalidUtf8(body);
  const where = jsonPathAt(body.subarray(0, offset).toString('utf8'));
  return `400 Bad Request: ${where} is not valid UTF-8 (byte 0x${body[offset]!.toString(16).toUpperCase().padStart(2, '0')} at offset ${offset}); send the body as UTF-8`;
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

/**
 * Where in the JSON document the end of `prefix` is, as a field path (`name`,
 * `deploy_access_levels[0].access_level`, "a key in the body"): invalid bytes can only be
 * inside a string, so the prefix ends inside a key or a value.
 */
export function jsonPathAt(prefix: string): string {
  type Frame = { kind: 'object'; key: string | null; expectKey: boolean } | { kind: 'array'; index: number };
  const stack: Frame[] = [];
  let i = 0;
  while (i < prefix.length) {
    const ch = prefix[i]!;
    const top = stack.at(-1);
    if (ch === '"') {
      // A string: read to its end, or to the end of the prefix (the bad bytes are in it).
      let j = i + 1;
      let text = '';
      while (j < prefix.length && prefix[j] !== '"') {
        if (prefix[j] === '\\') {
          text += prefix.slice(j, j + 2);
          j += 2;
        } else text += prefix[j++];
      }
      const inKey = top?.kind === 'object' && top.expectKey;
      if (j >= prefix.length) return describeFrames(stack, inKey);
      if (inKey) {
        top.key = safeJsonString(text);
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (ch === '{') stack.push({ kind: 'object', key: null, expectKey: true });
    else if (ch === '[') stack.push({ kind: 'array', index: 0 });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',' && top) {
      if (top.kind === 'array') top.index++;
      else top.expectKey = true;
    }
    i++;
  }
  return describeFrames(stack, false);
}

function describeFrames(stack: ReadonlyArray<{ kind: 'object'; key: string | null } | { kind: 'array'; index: number }>, inKey: boolean): string {
  const parts: Array<string | number> = [];
  const last = stack.length - 1;
  stack.forEach((frame, n) => {
    if (frame.kind === 'array') parts.push(frame.index);
    else if (!(inKey && n === last) && frame.key !== null) parts.push(frame.key);
  });
  return inKey ? `a key in ${formatPath(parts)}` : formatPath(parts);
}

function safeJsonString(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

// A small ustar reader/writer for `kubectl cp`, which streams tar archives
// through `exec tar`. Reads the PAX `path` and GNU long-name extensions Go's
// archive/tar may emit; writes plain ustar (prefix field for long names).

import { posix } from 'node:path';
import { MemFs } from './memfs.js';

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: '0' | '5', mode: number, mtime: Date): Buffer {
  const buf = Buffer.alloc(BLOCK);
  let prefix = '';
  let shortName = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2 > 155 ? 155 : name.length - 2);
    prefix = name.slice(0, cut);
    shortName = name.slice(cut + 1);
  }
  buf.write(shortName, 0, 100);
  buf.write(octal(mode & 0o7777, 8), 100);
  buf.write(octal(0, 8), 108);
  buf.write(octal(0, 8), 116);
  buf.write(octal(size, 12), 124);
  buf.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136);
  buf.write('        ', 148);
  buf.write(type, 156);
  buf.write('ustar\0', 257);
  buf.write('00', 263);
  buf.write('root', 265);
  buf.write('root', 297);
  buf.write(prefix, 345, 155);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(octal(sum, 7) + ' ', 148);
  return buf;
}

/** `tar cf - <paths>` relative to cwd; leading `/` is stripped like GNU tar does. */
export function createTar(fs: MemFs, paths: string[], cwd: string): { archive: Buffer; warnings: string[] } {
  const parts: Buffer[] = [];
  const warnings: string[] = [];
  for (const p of paths) {
    const full = MemFs.normalize(p, cwd);
    if (!fs.get(full)) throw new Error(`tar: ${p}: Cannot stat: No such file or directory`);
    if (p.startsWith('/')) warnings.push("tar: Removing leading `/' from member names");
    const base = p.startsWith('/') ? '/' : cwd;
    for (const { path, entry } of fs.walk(full)) {
      let name = posix.relative(base, path);
      if (name === '') name = '.';
      if (entry.type === 'dir') parts.push(header(`${name}/`, 0, '5', entry.mode, entry.mtime));
      else {
        parts.push(header(name, entry.data.length, '0', entry.mode, entry.mtime), entry.data);
        const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
        if (pad) parts.push(Buffer.alloc(pad));
      }
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return { archive: Buffer.concat(parts), warnings: [...new Set(warnings)] };
}

function readString(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? undefined : nul).toString('utf8');
}

function readOctal(buf: Buffer, start: number, length: number): number {
  const text = readString(buf, start, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let text = data.toString('utf8');
  while (text.length > 0) {
    const space = text.indexOf(' ');
    const len = parseInt(text.slice(0, space), 10);
    if (!len) break;
    const record = text.slice(space + 1, len - 1);
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    text = text.slice(len);
  }
  return out;
}

/** `tar xf - -C dir`: extracts files and directories; other entry types are skipped. */
export function extractTar(fs: MemFs, archive: Buffer, dir: string): string[] {
  const written: string[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const h = archive.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = readOctal(h, 124, 12);
    const type = String.fromCharCode(h[156]!) || '0';
    const dataStart = offset + BLOCK;
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      longName = parsePax(data).path ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'g') continue;
    const prefix = readString(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100));
    longName = undefined;
    const target = MemFs.normalize(name, dir);
    const mode = readOctal(h, 100, 8) || 0o644;
    if (type === '5') fs.mkdirp(target, mode);
    else if (type === '0' || type === '\0' || type === '7') {
      fs.mkdirp(posix.dirname(target));
      fs.writeFile(target, Buffer.from(data), { mode });
      written.push(target);
    }
  }
  return written;
}

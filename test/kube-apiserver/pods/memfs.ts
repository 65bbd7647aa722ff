// A per-container in-memory filesystem: what `sh -c 'echo x > f'`, `cat f`
// and `tar` (kubectl cp) read and write.

import { posix } from 'node:path';

export type FsEntry = { type: 'file'; data: Buffer; mode: number; mtime: Date } | { type: 'dir'; mode: number; mtime: Date };

export class MemFs {
  private readonly entries = new Map<string, FsEntry>();

  constructor() {
    for (const dir of ['/', '/tmp', '/etc', '/root', '/var', '/var/log', '/home']) this.mkdirp(dir);
    this.writeFile('/etc/hostname', 'localhost\n');
  }

  static normalize(path: string, cwd = '/'): string {
    return posix.resolve(cwd, path);
  }

  get(path: string): FsEntry | undefined {
    return this.entries.get(MemFs.normalize(path));
  }

  mkdirp(path: string, mode = 0o755): void {
    const full = MemFs.normalize(path);
    const parts = full.split('/').filter((p) => p !== '');
    let current = '/';
    if (!this.entries.has('/')) this.entries.set('/', { type: 'dir', mode, mtime: new Date() });
    for (const part of parts) {
      current = posix.join(current, part);
      const existing = this.entries.get(current);
      if (existing?.type === 'file') throw new Error(`mkdir ${current}: not a directory`);
      if (!existing) this.entries.set(current, { type: 'dir', mode, mtime: new Date() });
    }
  }

  writeFile(path: string, data: Buffer | string, options: { append?: boolean; mode?: number } = {}): void {
    const full = MemFs.normalize(path);
    const parent = posix.dirname(full);
    if (this.get(parent)?.type !== 'dir') throw new Error(`${path}: No such file or directory`);
    const existing = this.entries.get(full);
    if (existing?.type === 'dir') throw new Error(`${path}: Is a directory`);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const content = options.append && existing?.type === 'file' ? Buffer.concat([existing.data, bytes]) : bytes;
    this.entries.set(full, { type: 'file', data: content, mode: options.mode ?? (existing?.mode ?? 0o644), mtime: new Date() });
  }

  readFile(path: string): Buffer {
    const entry = this.get(path);
    if (!entry) throw new Error(`${path}: No such file or directory`);
    if (entry.type === 'dir') throw new Error(`${path}: Is a directory`);
    return entry.data;
  }

  remove(path: string): void {
    const full = MemFs.normalize(path);
    for (const key of [...this.entries.keys()]) if (key === full || key.startsWith(`${full}/`)) this.entries.delete(key);
  }

  /** The entry and everything below it, parents first (tar order). */
  walk(path: string): { path: string; entry: FsEntry }[] {
    const full = MemFs.normalize(path);
    const out: { path: string; entry: FsEntry }[] = [];
    for (const [key, entry] of [...this.entries].sort(([a], [b]) => a.localeCompare(b))) {
      if (key === full || key.startsWith(full === '/' ? '/' : `${full}/`)) out.push({ path: key, entry });
    }
    return out;
  }

  children(path: string): string[] {
    const full = MemFs.normalize(path);
    const prefix = full === '/' ? '/' : `${full}/`;
    return [...this.entries.keys()].filter((k) => k !== full && k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length)).sort();
  }
}

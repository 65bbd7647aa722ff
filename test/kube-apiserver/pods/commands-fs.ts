// Filesystem commands over the container's in-memory filesystem, including
// the `tar` kubectl cp runs (`tar cf - <path>`, `tar -xmf - -C <dir>`).

import { MemFs } from './memfs.js';
import { readAll, type Command, type Io } from './command-io.js';
import { createTar, extractTar } from './tar.js';

export const FS_COMMANDS: Record<string, Command> = {
  async ls(io) {
    const targets = io.argv.slice(1).filter((a) => !a.startsWith('-'));
    let code = 0;
    for (const t of targets.length ? targets : [io.cwd]) {
      const entry = io.ctx.fs.get(MemFs.normalize(t, io.cwd));
      if (!entry) {
        io.err(`ls: cannot access '${t}': No such file or directory\n`);
        code = 2;
      } else if (entry.type === 'file') io.out(`${t}\n`);
      else io.out(io.ctx.fs.children(MemFs.normalize(t, io.cwd)).map((c) => `${c}\n`).join(''));
    }
    return code;
  },
  async mkdir(io) {
    for (const d of io.argv.slice(1).filter((a) => !a.startsWith('-'))) io.ctx.fs.mkdirp(MemFs.normalize(d, io.cwd));
    return 0;
  },
  async rm(io) {
    for (const f of io.argv.slice(1).filter((a) => !a.startsWith('-'))) io.ctx.fs.remove(MemFs.normalize(f, io.cwd));
    return 0;
  },
  async touch(io) {
    for (const f of io.argv.slice(1)) {
      const p = MemFs.normalize(f, io.cwd);
      if (!io.ctx.fs.get(p)) io.ctx.fs.writeFile(p, '');
    }
    return 0;
  },
  async test(io) {
    const args = io.argv[0] === '[' ? io.argv.slice(1, -1) : io.argv.slice(1);
    const [flag, path] = args;
    const entry = path ? io.ctx.fs.get(MemFs.normalize(path, io.cwd)) : undefined;
    if (flag === '-d') return entry?.type === 'dir' ? 0 : 1;
    if (flag === '-f') return entry?.type === 'file' ? 0 : 1;
    if (flag === '-e') return entry ? 0 : 1;
    return 1;
  },
  async tar(io) {
    return runTar(io);
  },
};
FS_COMMANDS['['] = FS_COMMANDS.test!;

async function runTar(io: Io): Promise<number> {
  const args = io.argv.slice(1);
  let mode = '';
  let file = '-';
  let dir = io.cwd;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) continue;
    if (a === '-C') {
      dir = MemFs.normalize(args[++i] ?? '/', io.cwd);
      continue;
    }
    const letters = i === 0 && !a.startsWith('-') ? a : a.startsWith('-') ? a.slice(1) : '';
    if (letters) {
      for (const l of letters) {
        if (l === 'c' || l === 'x' || l === 't') mode = l;
        if (l === 'f') file = args[++i] ?? '-';
        if (l === 'z') throw new Error('tar: gzip is not supported by the simulator');
      }
      continue;
    }
    paths.push(a);
  }
  if (file !== '-') throw new Error('tar: only stdin/stdout archives (f -) are supported');
  if (mode === 'c') {
    const { archive, warnings } = createTar(io.ctx.fs, paths, dir);
    for (const w of warnings) io.err(`${w}\n`);
    io.out(archive);
    return 0;
  }
  if (mode === 'x') {
    io.ctx.fs.mkdirp(dir);
    extractTar(io.ctx.fs, await readAll(io), dir);
    return 0;
  }
  throw new Error('tar: You must specify one of the -c, -x options');
}

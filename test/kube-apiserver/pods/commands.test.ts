import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemFs } from './memfs.js';
import { SimProcess } from './process.js';

async function run(argv: string[], input?: string, fs = new MemFs()): Promise<{ code: number; out: string; err: string }> {
  const p = new SimProcess(argv, { fs, env: { HOSTNAME: 'pod-1', NAME: 'world' }, tickIntervalMs: 10, label: 'pod/c' });
  let out = '';
  let err = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  p.stderr.on('data', (c: Buffer) => (err += c.toString()));
  if (input !== undefined) p.stdin.end(input);
  else p.stdin.end();
  const code = await p.exited;
  return { code, out, err };
}

describe('simulated container commands', () => {
  it('echo, cat and exit codes', async () => {
    assert.deepEqual(await run(['echo', 'a', 'b']), { code: 0, out: 'a b\n', err: '' });
    assert.deepEqual(await run(['cat'], 'in'), { code: 0, out: 'in', err: '' });
    assert.equal((await run(['false'])).code, 1);
    assert.equal((await run(['nope'])).code, 127);
  });

  it('sh -c with quoting, variables, && || ; pipes and redirections', async () => {
    const fs = new MemFs();
    const r = await run(['sh', '-c', 'echo "hello $NAME" > /tmp/f; cat /tmp/f | cat; false || echo fallback; true && echo ok >&2; exit 4'], undefined, fs);
    assert.equal(r.out, 'hello world\nfallback\n');
    assert.equal(r.err, 'ok\n');
    assert.equal(r.code, 4);
    assert.equal(fs.readFile('/tmp/f').toString(), 'hello world\n');
  });

  it('sleep is killable and the default program ticks', async () => {
    const p = new SimProcess(['sleep', '100'], { fs: new MemFs(), env: {}, tickIntervalMs: 10, label: 'x' });
    p.stdin.end();
    p.kill();
    assert.equal(await p.exited, 137);
    const ticker = new SimProcess([], { fs: new MemFs(), env: {}, tickIntervalMs: 5, label: 'pod/c' });
    let out = '';
    ticker.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => setTimeout(r, 30));
    ticker.kill();
    await ticker.exited;
    assert.match(out, /^pod\/c: log line 1\npod\/c: log line 2\n/);
  });

  it('tar round-trips a directory like kubectl cp expects', async () => {
    const fs = new MemFs();
    fs.mkdirp('/data/sub');
    fs.writeFile('/data/sub/x.txt', 'x');
    const packed = new SimProcess(['tar', 'cf', '-', '/data'], { fs, env: {}, tickIntervalMs: 10, label: 'x' });
    packed.stdin.end();
    const chunks: Buffer[] = [];
    packed.stdout.on('data', (c: Buffer) => chunks.push(c));
    assert.equal(await packed.exited, 0);
    const target = new MemFs();
    const unpack = new SimProcess(['tar', '-xmf', '-', '-C', '/restore'], { fs: target, env: {}, tickIntervalMs: 10, label: 'x' });
    unpack.stdin.end(Buffer.concat(chunks));
    assert.equal(await unpack.exited, 0);
    assert.equal(target.readFile('/restore/data/sub/x.txt').toString(), 'x');
  });
});

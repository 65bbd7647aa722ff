/**
 * Issue 8, fault 9: the files API buffered whole files (eight concurrent reads of a 10 MB
 * file took a server from 239 to 493 MB). A large file pushed with the real git is read
 * eight times at once, as JSON (base64 `content`) and raw, from a server process: every
 * answer is complete and right, and the server's peak memory grows by a fraction of what
 * holding the eight copies (and their base64) would take.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { startServerProcess, type ServerProcess } from '../helpers/server_process.js';
import { ensureProject } from '../helpers/ci.js';
import { pushFiles } from '../helpers/git.js';

const FILE_BYTES = 16 * 1024 * 1024;
const READERS = 8;

let server: ServerProcess | undefined;
after(async () => {
  if (server?.proc.exitCode === null) await server.stop('SIGKILL');
  if (server) {
    await rm(server.dataDir, { recursive: true, force: true });
    await rm(`${server.dataDir}-tls`, { recursive: true, force: true });
  }
});

/** The process's peak resident memory so far (VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  assert.ok(kb, 'VmHWM in /proc/<pid>/status');
  return Number(kb[1]) * 1024;
}

test('eight concurrent reads of a 16 MiB file stream it: right answers, bounded server memory', async () => {
  server = await startServerProcess();
  const project = await ensureProject(server, 'blobs/big');
  // Random bytes: nothing compresses, no shortcut.
  const content = randomBytes(FILE_BYTES);
  const sha256 = createHash('sha256').update(content).digest('hex');
  await pushFiles(server, project.path_with_namespace, { 'assets/blob.bin': content });
  const dispatcher = new Agent({ connect: { ca: server.caCert! }, connections: READERS * 2 });
  const file = `${server.url}/api/v4/projects/${project.id}/repository/files/${encodeURIComponent('assets/blob.bin')}`;
  const headers = { 'private-token': server.rootToken };

  // Warm up (code paths compiled, pools filled) before the peak is taken as the baseline.
  const warm = await request(`${file}/raw?ref=main`, { dispatcher, headers });
  assert.equal(warm.statusCode, 200);
  await warm.body.dump({ limit: Infinity });
  const before = await peakRss(server.proc.pid!);

  const reads = Array.from({ length: READERS }, async (_, i) => {
    const raw = i % 2 === 0;
    const res = await request(raw ? `${file}/raw?ref=main` : `${file}?ref=main`, { dispatcher, headers });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-gitlab-content-sha256'], sha256);
    assert.equal(res.headers['x-gitlab-size'], String(FILE_BYTES));
    if (raw) {
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      // Hashed as it arrives: the test holds no copy either.
      const hash = createHash('sha256');
      for await (const chunk of res.body) hash.update(chunk as Buffer);
      assert.equal(hash.digest('hex'), sha256);
    } else {
      const body = (await res.body.json()) as Record<string, unknown>;
      assert.equal(body.size, FILE_BYTES);
      assert.equal(body.content_sha256, sha256);
      assert.equal(body.encoding, 'base64');
      assert.equal(body.file_path, 'assets/blob.bin');
      assert.equal(createHash('sha256').update(Buffer.from(body.content as string, 'base64')).digest('hex'), sha256);
    }
  });
  await Promise.all(reads);
  const grew = (await peakRss(server.proc.pid!)) - before;
  // Buffering holds each file and its base64 (16 + 21 MiB) per read: ~300 MiB for eight.
  // Streaming holds a few chunks per read.
  assert.ok(grew < 2 * FILE_BYTES, `the server's peak memory grew by ${Math.round(grew / 2 ** 20)} MiB for ${READERS} reads of a ${FILE_BYTES / 2 ** 20} MiB file`);
  await dispatcher.close();
  assert.equal(await server.stop(), 0);
});

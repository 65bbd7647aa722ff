/**
 * Issue 8, item 5: the SQLite database and its WAL were 0644 and repositories 0755 under
 * the usual umask. A server process started with a permissive umask (0002, 0022) creates
 * its data dir 0700 and every file in it 0600 (directories 0700; git hooks 0700): the
 * database, its -wal and -shm, pushed repositories (real git), the secrets key. An
 * existing data dir that others can read gets a warning at start.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../helpers/server_process.js';
import { ensureProject } from '../helpers/ci.js';
import { pushFiles } from '../helpers/git.js';

const parents: string[] = [];
const running: ServerProcess[] = [];
after(async () => {
  for (const s of running) if (s.proc.exitCode === null) await s.stop('SIGKILL');
  for (const p of parents) await rm(p, { recursive: true, force: true });
});

/** Every path under `dir` (itself included) whose mode lets group or others in. */
async function openToOthers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) found.push(`${path} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(dir);
  return found;
}

for (const umask of [0o002, 0o022]) {
  test(`with umask 0${umask.toString(8).padStart(3, '0')} the data dir is 0700 and everything in it private`, async () => {
    const parent = await mkdtemp(join(tmpdir(), 'kubegate-perm-'));
    parents.push(parent);
    const dataDir = join(parent, 'data');
    const server = await startServerProcess({ dataDir, umask });
    running.push(server);
    const project = await ensureProject(server, 'perm/app');
    await pushFiles(server, project.path_with_namespace, { 'README.md': 'hello\n', '.gitlab/agents/a/config.yaml': '' });
    // A certificate-based cluster makes the server create its secrets key file.
    const cluster = await server.api('POST', `/projects/${project.id}/clusters/user`, { name: 'c', platform_kubernetes_attributes: { api_url: 'https://10.0.0.1', token: 'sa-token' } });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));

    const names = await readdir(dataDir);
    for (const expected of ['kubegate.sqlite3', 'kubegate.sqlite3-wal', 'kubegate.sqlite3-shm', 'repositories', 'git-hooks']) assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    for (const file of ['kubegate.sqlite3', 'kubegate.sqlite3-wal', 'kubegate.sqlite3-shm']) assert.equal((await stat(join(dataDir, file))).mode & 0o777, 0o600, file);
    assert.equal((await stat(join(dataDir, 'git-hooks', 'pre-receive'))).mode & 0o777, 0o700);
    assert.deepEqual(await openToOthers(dataDir), [], 'nothing in the data dir is open to group or others');
    assert.doesNotMatch(server.stdout(), /can be read by other users/, 'a new data dir is not warned about');
    assert.equal(await server.stop(), 0);
  });
}

test('an existing data dir that others can read gets a warning that says how to close it', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'kubegate-perm-'));
  parents.push(parent);
  const dataDir = join(parent, 'data');
  const first = await startServerProcess({ dataDir });
  running.push(first);
  const code = await first.stop();
  assert.equal(code, 0, `signal ${first.proc.signalCode}\n${first.stderr()}\n${first.stdout().slice(-2000)}`);
  await chmod(dataDir, 0o755);
  const second = await startServerProcess({ dataDir });
  running.push(second);
  const warning = second
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; msg: string; mode?: string })
    .find((l) => /can be read by other users/.test(l.msg));
  assert.ok(warning, second.stdout());
  assert.equal(warning.level, 40, 'a warning');
  assert.equal(warning.mode, '0755');
  assert.match(warning.msg, new RegExp(`run "chmod -R go-rwx ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  assert.equal(await second.stop(), 0);
});

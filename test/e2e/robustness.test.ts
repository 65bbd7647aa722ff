/**
 * Failure and race cases: what users see when the database is gone, and concurrent
 * requests that create the same thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestServer } from '../helpers/server.js';
import { ensureBranch } from '../helpers/git.js';
import { ENGINES, POSTGRES_MISSING, startPostgres } from '../helpers/postgres.js';

for (const engine of ENGINES) {
  test(`${engine}: jobs of one new environment started together all run, sharing one environment`, async (t) => {
    const database = engine === 'postgres' ? await startPostgres() : undefined;
    if (engine === 'postgres' && !database) return t.skip(POSTGRES_MISSING);
    const server = await startTestServer(database ? { databaseUrl: database.url } : {});
    try {
      const project = await server.api('POST', '/projects', { name: 'racy' });
      await ensureBranch(server, project.body.path_with_namespace, 'main');
      const jobs = await Promise.all(Array.from({ length: 6 }, () => server.api('POST', `/projects/${project.body.id}/jobs`, { ref: 'main', environment: 'review/race' })));
      assert.deepEqual(jobs.map((j) => j.status), [201, 201, 201, 201, 201, 201]);
      const envs = await server.api('GET', `/projects/${project.body.id}/environments`);
      assert.equal(envs.body.filter((e: { name: string }) => e.name === 'review/race').length, 1);
    } finally {
      await server.close();
      await database?.stop();
    }
  });
}

test('with the database gone, an agent is told the server is unavailable (503), not that its token is bad', async () => {
  const server = await startTestServer();
  try {
    await server.app.store.db.destroy();
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          ['GET /-/kubernetes-agent/ HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Authorization: Bearer kgagent-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '', ''].join('\r\n'),
        );
      });
      let data = '';
      socket.setEncoding('utf8').on('data', (c: string) => (data += c));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 503/);
    assert.doesNotMatch(answer, /revoked|rejected/);
  } finally {
    await server.app.server.close();
    await server.close().catch(() => undefined);
  }
});

/**
 * Issue 8, fault 10: input hygiene over real HTTP. Invalid UTF-8 anywhere in a JSON body
 * was stored as U+FFFD without a word; control characters (NUL, ESC…) went into names,
 * descriptions and token names; ids such as `pipeline_id` could be 0 or negative. Each is
 * now a 400 naming the field, and nothing is stored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureProject } from '../helpers/ci.js';
import { ensureBranch } from '../helpers/git.js';

let server: TestServer;
let projectId: number;
let agentId: number;

before(async () => {
  server = await startTestServer();
  const project = await ensureProject(server, 'hygiene/app');
  projectId = project.id;
  await ensureBranch(server, 'hygiene/app', 'main');
  const agent = await server.api('POST', `/projects/${projectId}/cluster_agents`, { name: 'a' });
  agentId = agent.body.id;
});

after(async () => {
  await server?.close();
});

/** Sends raw bytes as a JSON body: the client's bytes reach the server untouched. */
async function postBytes(path: string, body: Buffer): Promise<{ status: number; message: string }> {
  const res = await request(`${server.url}/api/v4${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'private-token': server.rootToken }, body });
  const parsed = (await res.body.json()) as { message: string };
  return { status: res.statusCode, message: parsed.message };
}

function withBytes(before: string, bytes: number[], afterText: string): Buffer {
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(afterText)]);
}

describe('invalid UTF-8 and broken Unicode in JSON bodies', () => {
  it('invalid UTF-8 in a field is a 400 naming the field, and nothing is created', async () => {
    const r = await postBytes('/groups', withBytes('{"name":"Caf', [0xe9], '","path":"cafe"}'));
    assert.deepEqual(r, { status: 400, message: '400 Bad Request: name is not valid UTF-8 (byte 0xE9 at offset 12); send the body as UTF-8' });
    assert.equal((await server.api('GET', '/groups/cafe')).status, 404);
  });

  it('deep in the body, the path says where', async () => {
    const r = await postBytes(`/projects/${projectId}/protected_environments`, withBytes('{"name":"prod","deploy_access_levels":[{"access_level":40},{"user_id":"', [0xff, 0xfe], '"}]}'));
    assert.equal(r.status, 400);
    assert.match(r.message, /^400 Bad Request: deploy_access_levels\[1\]\.user_id is not valid UTF-8 \(byte 0xFF at offset \d+\)/);
  });

  it('in a key, too', async () => {
    const r = await postBytes('/groups', withBytes('{"na', [0xc3], 'me":"x","path":"x"}'));
    assert.equal(r.status, 400);
    assert.match(r.message, /^400 Bad Request: a key in the body is not valid UTF-8/);
  });

  it('a lone surrogate escape or a NUL is a 400 naming the field', async () => {
    const surrogate = await postBytes('/groups', Buffer.from('{"name":"x","path":"y","description":"a\\ud800b"}'));
    assert.deepEqual(surrogate, { status: 400, message: '400 Bad Request: description is not valid Unicode (it holds a lone surrogate such as \\ud800); send well-formed text' });
    const nul = await postBytes(`/projects/${projectId}/environments`, Buffer.from('{"name":"prod\\u0000uction"}'));
    assert.deepEqual(nul, { status: 400, message: '400 Bad Request: name contains a NUL character (\\u0000); remove it' });
  });

  it('valid UTF-8 (U+FFFD itself included) is taken as it is', async () => {
    const r = await postBytes('/groups', Buffer.from(JSON.stringify({ name: 'Café 日本', path: 'cafe-ok', description: 'replacement char: \ufffd 😀' })));
    assert.equal(r.status, 201, r.message);
    const stored = (await server.api('GET', '/groups/cafe-ok')).body;
    assert.deepEqual([stored.name, stored.description], ['Café 日本', 'replacement char: \ufffd 😀']);
  });
});

describe('control characters in names, descriptions and token names', () => {
  const ESC = '\u001b[31m';
  const cases: Array<[what: string, method: string, path: () => string, body: Record<string, unknown>, message: RegExp]> = [
    ['a user name', 'POST', () => '/users', { username: 'esc-user', name: `Eve${ESC}` }, /^name cannot contain control characters \(U\+001B at position 4\); remove it$/],
    ['a personal access token name', 'POST', () => '/users/1/personal_access_tokens', { name: `ci${ESC}`, scopes: ['api'] }, /^name cannot contain control characters/],
    ['an agent token name', 'POST', () => `/projects/${projectId}/cluster_agents/${agentId}/tokens`, { name: 'tok\u0007en' }, /^name cannot contain control characters \(U\+0007/],
    ['an agent token description', 'POST', () => `/projects/${projectId}/cluster_agents/${agentId}/tokens`, { name: 'ok', description: `bad${ESC}` }, /^description cannot contain control characters/],
    ['a group description', 'POST', () => '/groups', { name: 'Ctl', path: 'ctl', description: 'line\u0008' }, /^description cannot contain control characters \(U\+0008/],
    ['a project description', 'POST', () => '/projects', { name: 'ctl-project', description: '\u009bC1' }, /^description cannot contain control characters \(U\+009B/],
    ['a job name', 'POST', () => `/projects/${projectId}/jobs`, { ref: 'main', name: 'deploy\r' }, /^name cannot contain control characters \(U\+000D/],
    ['a newline in a name', 'POST', () => '/users', { username: 'nl-user', name: 'two\nlines' }, /^name cannot contain control characters \(U\+000A/],
  ];
  for (const [what, method, path, body, message] of cases) {
    it(`${what} is refused with a 400 naming the field`, async () => {
      const r = await server.api(method, path(), body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.message, message);
    });
  }

  it('descriptions keep their line breaks and tabs', async () => {
    const r = await server.api('POST', '/groups', { name: 'Multi', path: 'multi', description: 'first line\n\tsecond line\r\n' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.description, 'first line\n\tsecond line\r\n');
  });
});

describe('ids must be positive', () => {
  const cases: Array<[what: string, path: () => string, body: Record<string, unknown>, field: string]> = [
    ['pipeline_id 0', () => `/projects/${projectId}/jobs`, { ref: 'main', pipeline_id: 0 }, 'pipeline_id'],
    ['pipeline_id "0"', () => `/projects/${projectId}/jobs`, { ref: 'main', pipeline_id: '0' }, 'pipeline_id'],
    ['user_id 0 on a job', () => `/projects/${projectId}/jobs`, { ref: 'main', user_id: 0 }, 'user_id'],
    ['namespace_id 0', () => '/projects', { name: 'zero', namespace_id: 0 }, 'namespace_id'],
    ['parent_id 0', () => '/groups', { name: 'Zero', path: 'zero', parent_id: 0 }, 'parent_id'],
    ['a member user_id 0', () => `/projects/${projectId}/members`, { user_id: 0, access_level: 30 }, 'user_id'],
  ];
  for (const [what, path, body, field] of cases) {
    it(`${what} is a 400 naming the field`, async () => {
      const r = await server.api('POST', path(), body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.message, `${field} must be a positive integer (ids start at 1)`);
    });
  }

  it('negative ids are not even integers here, and say so', async () => {
    const r = await server.api('POST', `/projects/${projectId}/jobs`, { ref: 'main', pipeline_id: -5 });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /^pipeline_id must be a positive integer/);
  });

  it('in a query string too', async () => {
    const r = await server.api('GET', '/audit_events?job_id=0');
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'job_id must be a positive integer (ids start at 1)');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchGitRoute } from './route.js';

test('the three smart HTTP endpoints, with nested and encoded paths', () => {
  assert.deepEqual(matchGitRoute('GET', '/g/sub/app.git/info/refs?service=git-upload-pack'), { projectPath: 'g/sub/app', service: 'upload-pack', kind: 'advertise' });
  assert.deepEqual(matchGitRoute('GET', '/g/app.git/info/refs?service=git-receive-pack'), { projectPath: 'g/app', service: 'receive-pack', kind: 'advertise' });
  assert.deepEqual(matchGitRoute('POST', '/g/app.git/git-upload-pack'), { projectPath: 'g/app', service: 'upload-pack', kind: 'rpc' });
  assert.deepEqual(matchGitRoute('POST', '/g/app.git/git-receive-pack'), { projectPath: 'g/app', service: 'receive-pack', kind: 'rpc' });
  assert.deepEqual(matchGitRoute('POST', '/g/my%2Eapp.git/git-receive-pack'), { projectPath: 'g/my.app', service: 'receive-pack', kind: 'rpc' });
});

test('other paths are not Git requests', () => {
  for (const url of ['/api/v4/projects', '/g/app', '/g/app.git', '/g/app.git/HEAD', '/g/app.git/objects/info/packs', '/-/x.git/info/refs?service=git-upload-pack', '/api/v4/x.git/git-upload-pack', '/g/%ZZ.git/git-upload-pack']) {
    assert.equal(matchGitRoute('GET', url), null, url);
  }
});

test('the dumb protocol and wrong methods are refused with a reason', () => {
  assert.equal((matchGitRoute('GET', '/g/app.git/info/refs') as { status: number }).status, 403);
  assert.equal((matchGitRoute('GET', '/g/app.git/info/refs?service=git-upload-archive') as { status: number }).status, 403);
  assert.equal((matchGitRoute('POST', '/g/app.git/info/refs?service=git-upload-pack') as { status: number }).status, 405);
  assert.equal((matchGitRoute('GET', '/g/app.git/git-upload-pack') as { status: number }).status, 405);
});

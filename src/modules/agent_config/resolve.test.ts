import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from './parse.js';
import { resolveCiAccess, type CiAccessLookups, type CiAccessTarget } from './resolve.js';

const PROJECTS: CiAccessTarget[] = [
  { id: 11, fullPath: 'Root/App', rootNamespace: 'Root' },
  { id: 12, fullPath: 'Root/sub/deep-app', rootNamespace: 'Root' },
  { id: 13, fullPath: 'other/proj', rootNamespace: 'other' },
];
const GROUPS: CiAccessTarget[] = [
  { id: 1, fullPath: 'Root', rootNamespace: 'Root' },
  { id: 2, fullPath: 'Root/sub', rootNamespace: 'Root' },
  { id: 3, fullPath: 'other', rootNamespace: 'other' },
];

/** The database stand-in: case-insensitive full-path match, as the contract asks. */
function byPath(rows: CiAccessTarget[]) {
  return function findByPath(path: string): CiAccessTarget | undefined {
    return rows.find((row) => row.fullPath.toLowerCase() === path.toLowerCase());
  };
}

const syncLookups: CiAccessLookups = { findProject: byPath(PROJECTS), findGroup: byPath(GROUPS), configProjectRootNamespace: 'root' };
const asyncLookups: CiAccessLookups = {
  findProject: async (path) => byPath(PROJECTS)(path),
  findGroup: async (path) => byPath(GROUPS)(path),
  configProjectRootNamespace: 'Root',
};

function configWith(list: 'projects' | 'groups', ids: string[]) {
  const source = ['ci_access:', `  ${list}:`, ...ids.map((id) => `    - id: ${JSON.stringify(id)}`), ''].join('\n');
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, []);
  return result.config!;
}

test('ids that match resolve to their target, case-insensitively, keeping the entry', async () => {
  const source = [
    'ci_access:',
    '  projects:',
    '    - id: root/app',
    '      environments: [production]',
    '      access_as: {ci_job: {}}',
    '    - id: ROOT/SUB/Deep-App',
    '  groups:',
    '    - id: root',
    '    - id: root/SUB',
    '      protected_branches_only: true',
    '',
  ].join('\n');
  const config = parseAgentConfig(source).config!;
  for (const lookups of [syncLookups, asyncLookups]) {
    const resolved = await resolveCiAccess(config, lookups);
    assert.deepEqual(resolved.warnings, []);
    assert.deepEqual(resolved.projects, [
      { id: 'root/app', line: 3, environments: ['production'], access_as: { kind: 'ci_job' }, protected_branches_only: false, target: { id: 11, fullPath: 'Root/App' } },
      { id: 'ROOT/SUB/Deep-App', line: 6, access_as: { kind: 'agent' }, protected_branches_only: false, target: { id: 12, fullPath: 'Root/sub/deep-app' } },
    ]);
    assert.deepEqual(
      resolved.groups.map((g) => [g.target.id, g.line, g.protected_branches_only]),
      [
        [1, 8, false],
        [2, 9, true],
      ],
    );
  }
});

test('project ids that match nothing grant nothing, with a warning saying why and what was meant', async () => {
  const cases: Array<[id: string, message: RegExp]> = [
    ['root/app/', /"root\/app\/" grants nothing: it starts or ends with "\/"; did you mean "Root\/App"\?/],
    ['/root/app', /grants nothing: it starts or ends with "\/"; did you mean "Root\/App"\?/],
    ['app', /"app" grants nothing: a project id is its full path, with its group or user namespace; did you mean "Root\/App"\?/],
    ['unknown', /"unknown" grants nothing: a project id is its full path, with its group or user namespace; write the project's full path/],
    ['https://gitlab.example.com/root/app', /grants nothing: it is a URL, and ids are full paths; did you mean "Root\/App"\?/],
    ['https://gitlab.example.com/Root/sub/deep-app.git', /it is a URL, and ids are full paths; did you mean "Root\/sub\/deep-app"\?/],
    ['gitlab.example.com/root/app/-/tree/main', /it is a URL, and ids are full paths; did you mean "Root\/App"\?/],
    ['https://gitlab.example.com/nowhere/else', /it is a URL, and ids are full paths; write the project's full path/],
    ['my.team/app', /"my\.team\/app" grants nothing: no project has this full path/],
    ['42', /"42" grants nothing: it is a number, and ids are full paths, not numeric ids/],
    ['root/app.git', /it ends with "\.git"; did you mean "Root\/App"\?/],
    [' root/app', /it has spaces around it; did you mean "Root\/App"\?/],
    ['root/sub', /"Root\/sub" is a group; move the entry to ci_access\.groups/],
    ['root/missing', /"root\/missing" grants nothing: no project has this full path; write the project's full path as shown on its page \(for example "root\/my-project"\)/],
    ['other/proj', /"other\/proj" grants nothing: "other\/proj" is in another top-level group \("other"\) than the agent's configuration project \("root"\); .*install another agent for "other"/],
  ];
  for (const [id, message] of cases) {
    const resolved = await resolveCiAccess(configWith('projects', [id]), syncLookups);
    assert.deepEqual(resolved.projects, [], id);
    assert.equal(resolved.warnings.length, 1, id);
    const [warning] = resolved.warnings;
    assert.equal(warning!.line, 3);
    assert.ok(warning!.message.startsWith(`line 3: ci_access.projects id ${JSON.stringify(id)} grants nothing: `), warning!.message);
    assert.match(warning!.message, message);
  }
});

test('group ids that match nothing grant nothing, with a warning', async () => {
  const cases: Array<[id: string, message: RegExp]> = [
    ['other', /"other" grants nothing: "other" is in another top-level group/],
    ['Root/App', /"Root\/App" is a project; move the entry to ci_access\.projects/],
    ['root/sub/', /it starts or ends with "\/"; did you mean "Root\/sub"\?/],
    ['nowhere', /no group has this full path; write the group's full path/],
    ['7', /it is a number/],
    ['http://gitlab.example.com/groups/none', /it is a URL/],
  ];
  for (const [id, message] of cases) {
    const resolved = await resolveCiAccess(configWith('groups', [id]), asyncLookups);
    assert.deepEqual(resolved.groups, [], id);
    assert.equal(resolved.warnings.length, 1, id);
    assert.match(resolved.warnings[0]!.message, message);
    assert.equal(resolved.warnings[0]!.path, 'ci_access.groups');
  }
});

test('good and bad ids mixed: the good ones resolve in file order, warnings in line order', async () => {
  const source = ['ci_access:', '  projects:', '    - id: nope/x', '    - id: root/app', '  groups:', '    - id: other', '    - id: root', ''].join('\n');
  const resolved = await resolveCiAccess(parseAgentConfig(source).config!, syncLookups);
  assert.deepEqual(resolved.projects.map((p) => p.target.id), [11]);
  assert.deepEqual(resolved.groups.map((g) => g.target.id), [1]);
  assert.deepEqual(resolved.warnings.map((w) => w.line), [3, 6]);
});

test('an empty configuration resolves to nothing without asking the database', async () => {
  const refuse = (): never => assert.fail('no lookup expected');
  const resolved = await resolveCiAccess(parseAgentConfig(null).config!, { findProject: refuse, findGroup: refuse, configProjectRootNamespace: 'root' });
  assert.deepEqual(resolved, { projects: [], groups: [], warnings: [] });
});

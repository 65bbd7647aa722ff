import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from './parse.js';
import type { AccessAs, CiAccessEntry } from './types.js';

/** A file with one project entry whose lines (after `- id: group/project`) are `body`. */
function projectEntry(...body: string[]): string {
  return ['ci_access:', '  projects:', '    - id: group/project', ...body.map((l) => `      ${l}`), ''].join('\n');
}

function errorsOf(source: string): string[] {
  const result = parseAgentConfig(source);
  assert.equal(result.config, null, `expected errors in:\n${source}`);
  return result.errors.map((e) => e.message);
}

function onlyProject(source: string): CiAccessEntry {
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, [], source);
  assert.equal(result.config?.ci_access.projects.length, 1);
  return result.config!.ci_access.projects[0]!;
}

test('misspelled or unknown keys inside ci_access are errors naming the key and the closest valid one', () => {
  const cases: Array<[source: string, line: number, column: number, message: RegExp]> = [
    ['ci_access:\n  project:\n    - id: a/b\n', 2, 3, /unknown key "project" in ci_access: did you mean "projects"\?/],
    ['ci_access:\n  group:\n    - id: a\n', 2, 3, /unknown key "group" in ci_access: did you mean "groups"\?/],
    ['ci_access:\n  Projects: []\n', 2, 3, /unknown key "Projects" in ci_access: did you mean "projects"\?/],
    [projectEntry('default-namespace: apps'), 4, 7, /unknown key "default-namespace" in ci_access\.projects\[0\]: did you mean "default_namespace"\?/],
    [projectEntry('protected_branch_only: true'), 4, 7, /unknown key "protected_branch_only" .*did you mean "protected_branches_only"\?/],
    [projectEntry('enviroments: [production]'), 4, 7, /unknown key "enviroments" .*did you mean "environments"\?/],
    [projectEntry('environment: production'), 4, 7, /unknown key "environment" .*did you mean "environments"\?/],
    [projectEntry('acces_as: {ci_job: {}}'), 4, 7, /unknown key "acces_as" .*did you mean "access_as"\?/],
    [projectEntry('access_as:', '  ci-job: {}'), 5, 9, /unknown key "ci-job" in ci_access\.projects\[0\]\.access_as: did you mean "ci_job"\?/],
    [projectEntry('access_as:', '  impersonate:', '    user: jane'), 6, 11, /unknown key "user" in ci_access\.projects\[0\]\.access_as\.impersonate: did you mean "username"\?/],
    [projectEntry('access_as:', '  impersonate:', '    username: jane', '    group: [a]'), 7, 11, /unknown key "group" .*did you mean "groups"\?/],
    [projectEntry('access_as:', '  agent:', '    namespace: x'), 6, 11, /unknown key "namespace" in ci_access\.projects\[0\]\.access_as\.agent: nothing may be set here\./],
    [projectEntry('namespace: apps'), 4, 7, /unknown key "namespace" in ci_access\.projects\[0\]: the valid keys here are "id", "default_namespace", "access_as", "environments", "protected_branches_only"\./],
    ['ci_access:\n  projects: []\n  roles: [admin]\n', 3, 3, /unknown key "roles" in ci_access: the valid keys here are "projects", "groups"\./],
  ];
  for (const [source, line, column, message] of cases) {
    const result = parseAgentConfig(source);
    assert.equal(result.config, null, source);
    assert.equal(result.errors.length, 1, `${source}\n${JSON.stringify(result.errors)}`);
    const [error] = result.errors;
    assert.deepEqual([error!.line, error!.column], [line, column], error!.message);
    assert.ok(error!.message.startsWith(`line ${line}, column ${column}: `));
    assert.match(error!.message, message);
    assert.match(error!.message, /could grant more access than intended/);
  }
});

test('wrong types inside ci_access are errors naming the key and the expected type', () => {
  const cases: Array<[source: string, message: RegExp]> = [
    ['ci_access: [a]\n', /^line 1, column 12: ci_access must be a mapping with "projects" and\/or "groups", not a list\.$/],
    ['ci_access:\n  projects: {id: a/b}\n', /ci_access\.projects must be a list of mappings, each with an id \(`- id: group\/project`\), not a mapping/],
    ['ci_access:\n  groups: my-group\n', /ci_access\.groups must be a list of mappings.*not the string "my-group"/],
    ['ci_access:\n  projects:\n    - a/b\n', /ci_access\.projects\[0\] must be a mapping with an "id", not the string "a\/b"; write `- id: a\/b`\./],
    ['ci_access:\n  projects:\n    - environments: [x]\n', /ci_access\.projects\[0\] needs an "id": the full path of the project/],
    ['ci_access:\n  groups:\n    - id: 42\n', /ci_access\.groups\[0\]\.id must be a string: the full path of the group .*not the number 42; put it in quotes/],
    ['ci_access:\n  projects:\n    - id:\n', /ci_access\.projects\[0\]\.id must be a string.*not an empty value/],
    ['ci_access:\n  projects:\n    - id: "  "\n', /ci_access\.projects\[0\]\.id is empty/],
    ['ci_access:\n  projects:\n    - id: [a, b]\n', /\.id must be a string.*not a list/],
    [projectEntry('protected_branches_only: yes'), /protected_branches_only must be a boolean, not the string "yes"; write true or false, without quotes\./],
    [projectEntry('protected_branches_only: "true"'), /protected_branches_only must be a boolean/],
    [projectEntry('protected_branches_only: 1'), /protected_branches_only must be a boolean \(true or false\), not the number 1\./],
    [projectEntry('protected_branches_only:'), /protected_branches_only must be a boolean \(true or false\), not an empty value\./],
    [projectEntry('environments: production'), /environments must be a list of strings, not the string "production"\.$/],
    [projectEntry('environments: 5'), /environments must be a list of strings, not the number 5\.$/],
    [projectEntry('environments: [production, 3]'), /environments\[1\] must be a non-empty string, not the number 3; put it in quotes/],
    [projectEntry('environments: [""]'), /environments\[0\] is empty/],
    [projectEntry('environments: []'), /environments is an empty list; list at least one environment .* or remove the key/],
    [projectEntry('environments:'), /environments must be a list of strings, not an empty value/],
    [projectEntry('default_namespace: 5'), /default_namespace must be a string: a Kubernetes namespace name, not the number 5/],
    [projectEntry('default_namespace: My-App'), /default_namespace "My-App" is not a valid Kubernetes namespace name: it has upper-case letters/],
    [projectEntry('default_namespace: my_app'), /"my_app" is not a valid Kubernetes namespace name: it may contain only lower-case letters, digits and "-"/],
    [projectEntry('default_namespace: -app'), /must start and end with a letter or digit/],
    [projectEntry(`default_namespace: ${'a'.repeat(64)}`), /it is 64 characters long and the limit is 63/],
    [projectEntry('default_namespace: ""'), /default_namespace is empty/],
  ];
  for (const [source, message] of cases) {
    const errors = errorsOf(source);
    assert.equal(errors.length, 1, `${source}\n${errors.join('\n')}`);
    assert.match(errors[0]!, message);
  }
});

test('valid entry fields are kept as written; defaults are access_as agent and protected_branches_only false', () => {
  const entry = onlyProject(projectEntry('default_namespace: my-app', 'environments: [production, "review/*"]', 'protected_branches_only: true'));
  assert.deepEqual(entry, {
    id: 'group/project',
    line: 3,
    default_namespace: 'my-app',
    access_as: { kind: 'agent' },
    environments: ['production', 'review/*'],
    protected_branches_only: true,
  });
  assert.equal(onlyProject(projectEntry(`default_namespace: ${'a'.repeat(63)}`)).default_namespace, 'a'.repeat(63));
  assert.equal(onlyProject("ci_access:\n  projects:\n    - id: '123'\n").id, '123', 'a quoted number is a string id (resolving it warns)');
});

test('access_as: exactly one of agent, ci_job, impersonate', () => {
  const valid: Array<[lines: string[], expected: AccessAs]> = [
    [['access_as:', '  agent: {}'], { kind: 'agent' }],
    [['access_as:', '  agent:'], { kind: 'agent' }],
    [['access_as:', '  agent: null'], { kind: 'agent' }],
    [['access_as:', '  ci_job: {}'], { kind: 'ci_job' }],
    [['access_as: {ci_job: }'], { kind: 'ci_job' }],
    [['access_as:', '  impersonate:', '    username: jane'], { kind: 'impersonate', username: 'jane', groups: [], extra: [] }],
    [
      ['access_as:', '  impersonate:', '    username: system:serviceaccount:ci:deployer', '    uid: "1000"', '    groups: [deployers, "system:authenticated"]'],
      { kind: 'impersonate', username: 'system:serviceaccount:ci:deployer', uid: '1000', groups: ['deployers', 'system:authenticated'], extra: [] },
    ],
  ];
  for (const [lines, expected] of valid) assert.deepEqual(onlyProject(projectEntry(...lines)).access_as, expected, lines.join(' '));

  const invalid: Array<[lines: string[], message: RegExp]> = [
    [['access_as:'], /access_as must be a mapping with exactly one of "agent", "ci_job" or "impersonate" .*not an empty value/],
    [['access_as: {}'], /access_as must set exactly one of "agent", "ci_job" or "impersonate", but sets none/],
    [['access_as: ci_job'], /access_as must be a mapping .*not the string "ci_job"/],
    [['access_as:', '  agent: {}', '  ci_job: {}'], /must set exactly one .* but sets "agent" and "ci_job"; keep only the one you mean/],
    [['access_as:', '  ci_job: {}', '  impersonate: {username: x}'], /but sets "ci_job" and "impersonate"/],
    [['access_as:', '  ci_job: true'], /access_as\.ci_job must be an empty mapping \(\{\}\), not the boolean true/],
    [['access_as:', '  impersonate: {}'], /access_as\.impersonate needs "username"/],
    [['access_as:', '  impersonate: {groups: [a]}'], /access_as\.impersonate needs "username"/],
    [['access_as:', '  impersonate:'], /access_as\.impersonate must be a mapping with at least "username", not an empty value/],
    [['access_as:', '  impersonate: {username: ""}'], /impersonate\.username is empty/],
    [['access_as:', '  impersonate: {username: x, uid: 1000}'], /impersonate\.uid must be a non-empty string, not the number 1000; put it in quotes/],
    [['access_as:', '  impersonate: {username: x, groups: admins}'], /impersonate\.groups must be a list of strings, not the string "admins"/],
    [['access_as:', '  impersonate: {username: x, groups: [a, [b]]}'], /impersonate\.groups\[1\] must be a non-empty string, not a list/],
  ];
  for (const [lines, message] of invalid) {
    const errors = errorsOf(projectEntry(...lines));
    assert.equal(errors.length, 1, `${lines.join(' ')}\n${errors.join('\n')}`);
    assert.match(errors[0]!, message);
  }
});

test('impersonate with extra: a list of {key, val[]}', () => {
  const entry = onlyProject(
    projectEntry(
      'access_as:',
      '  impersonate:',
      '    username: jane',
      '    extra:',
      '      - key: example.com/team',
      '        val: [platform, sre]',
      '      - key: scopes',
      '        val:',
      '          - view',
    ),
  );
  assert.deepEqual(entry.access_as, {
    kind: 'impersonate',
    username: 'jane',
    groups: [],
    extra: [
      { key: 'example.com/team', val: ['platform', 'sre'] },
      { key: 'scopes', val: ['view'] },
    ],
  });

  const invalid: Array<[extra: string, message: RegExp]> = [
    ['extra: {team: a}', /impersonate\.extra must be a list of mappings with "key" and "val", not a mapping/],
    ['extra: [team]', /impersonate\.extra\[0\] must be a mapping with "key" and "val", not the string "team"/],
    ['extra: [{val: [a]}]', /impersonate\.extra\[0\] needs "key"/],
    ['extra: [{key: team}]', /impersonate\.extra\[0\] needs "val": a list of values/],
    ['extra: [{key: team, val: a}]', /extra\[0\]\.val must be a list of strings, not the string "a"/],
    ['extra: [{key: team, val: []}]', /extra\[0\]\.val is an empty list; list at least one value/],
    ['extra: [{key: team, vals: [a]}]', /unknown key "vals" .*did you mean "val"\?/],
    ['extra: [{key: "", val: [a]}]', /extra\[0\]\.key is empty/],
  ];
  for (const [extra, message] of invalid) {
    const errors = errorsOf(projectEntry('access_as:', '  impersonate:', '    username: jane', `    ${extra}`));
    assert.ok(errors.some((e) => message.test(e)), `${extra}\n${errors.join('\n')}`);
  }
});

test('every error in the file is reported, not only the first', () => {
  const errors = errorsOf(
    ['ci_access:', '  projects:', '    - id: a/b', '      enviroments: [x]', '    - id: 5', '  groups:', '    - id: g', '      protected_branches_only: maybe', ''].join('\n'),
  );
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /^line 4, column 7: unknown key "enviroments"/);
  assert.match(errors[1]!, /^line 5, column 11: ci_access\.projects\[1\]\.id must be a string/);
  assert.match(errors[2]!, /^line 8, column 32: ci_access\.groups\[0\]\.protected_branches_only must be a boolean/);
});

test('each entry keeps its line in the file', () => {
  const source = [
    '# agent for the platform team',
    'ci_access:',
    '',
    '  projects:',
    '    - id: a/one',
    '    # a comment',
    '    - id: a/two',
    '      environments: [x]',
    '    -',
    '      id: a/three',
    '    - {id: a/four}',
    '  groups:',
    '    - default_namespace: ns',
    '      id: a/group',
    '',
  ].join('\n');
  const config = parseAgentConfig(source).config!;
  assert.deepEqual(config.ci_access.projects.map((p) => [p.id, p.line]), [
    ['a/one', 5],
    ['a/two', 7],
    ['a/three', 10],
    ['a/four', 11],
  ]);
  assert.deepEqual(config.ci_access.groups.map((g) => [g.id, g.line]), [['a/group', 13]]);
});

function manyEntries(list: 'projects' | 'groups', count: number): string {
  const lines = ['ci_access:', `  ${list}:`];
  for (let i = 1; i <= count; i++) lines.push(`    - id: root/item-${i}`);
  return `${lines.join('\n')}\n`;
}

test('at most 500 projects and 500 groups, in file order, with one warning per list for the rest', () => {
  for (const list of ['projects', 'groups'] as const) {
    const at = parseAgentConfig(manyEntries(list, 500));
    assert.equal(at.config?.ci_access[list].length, 500);
    assert.deepEqual(at.warnings, []);

    const over = parseAgentConfig(manyEntries(list, 501));
    assert.deepEqual(over.errors, []);
    const kept = over.config!.ci_access[list];
    assert.equal(kept.length, 500);
    assert.equal(kept[0]?.id, 'root/item-1');
    assert.equal(kept[499]?.id, 'root/item-500');
    assert.equal(over.warnings.length, 1);
    assert.equal(over.warnings[0]!.line, 503);
    assert.match(over.warnings[0]!.message, new RegExp(`^line 503, column 7: ci_access\\.${list} has 501 entries and only the first 500 are used: 1 entry from line 503 on is ignored`));

    const far = parseAgentConfig(manyEntries(list, 750));
    assert.equal(far.config?.ci_access[list].length, 500);
    assert.equal(far.warnings.length, 1, 'one warning for the whole list');
    assert.match(far.warnings[0]!.message, /250 entries from line 503 on are ignored/);
  }
  // The limits are separate: 500 of each is fine.
  const both = `${manyEntries('projects', 500)}${manyEntries('groups', 500).replace('ci_access:\n', '')}`;
  const result = parseAgentConfig(both);
  assert.deepEqual([result.config?.ci_access.projects.length, result.config?.ci_access.groups.length, result.warnings.length], [500, 500, 0]);
});

test('entries past the limit are not validated: they are ignored, not errors', () => {
  const source = `${manyEntries('projects', 500)}    - id: 5\n      bogus: true\n`;
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, []);
  assert.equal(result.warnings.length, 1);
});

test('duplicate ids (compared case-insensitively): the last one counts, with a warning naming the id and both lines', () => {
  const source = [
    'ci_access:',
    '  projects:',
    '    - id: group/app',
    '      environments: [production]',
    '    - id: group/other',
    '    - id: Group/App',
    '      protected_branches_only: true',
    '  groups:',
    '    - id: group',
    '    - id: group',
    '      access_as: {ci_job: {}}',
    '',
  ].join('\n');
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, []);
  const { projects, groups } = result.config!.ci_access;
  assert.deepEqual(projects.map((p) => [p.id, p.line, p.protected_branches_only, p.environments]), [
    ['group/other', 5, false, undefined],
    ['Group/App', 6, true, undefined],
  ]);
  assert.deepEqual(groups.map((g) => [g.id, g.line, g.access_as.kind]), [['group', 10, 'ci_job']]);
  assert.deepEqual(result.warnings.map((w) => w.message), [
    'line 6, column 11: "Group/App" is listed twice in ci_access.projects (lines 3 and 6): the entry on line 6 counts and the one on line 3 is ignored; remove one of them.',
    'line 10, column 11: "group" is listed twice in ci_access.groups (lines 9 and 10): the entry on line 10 counts and the one on line 9 is ignored; remove one of them.',
  ]);
});

test('the same path under projects and under groups is not a duplicate', () => {
  const result = parseAgentConfig('ci_access:\n  projects:\n    - id: a/b\n  groups:\n    - id: a/b\n');
  assert.deepEqual(result.warnings, []);
  assert.equal(result.config?.ci_access.projects.length, 1);
  assert.equal(result.config?.ci_access.groups.length, 1);
});

test('keys named like JavaScript object internals are plain unknown keys, never a way in', () => {
  const cases = [
    'ci_access:\n  __proto__:\n    projects:\n      - id: a/b\n',
    'ci_access:\n  projects:\n    - id: a/b\n      __proto__: {environments: [x]}\n',
    'ci_access:\n  projects:\n    - id: a/b\n      constructor: {}\n',
    'ci_access:\n  projects:\n    - id: a/b\n      access_as:\n        toString: {}\n',
  ];
  for (const source of cases) {
    const errors = errorsOf(source);
    assert.equal(errors.length, 1, `${source}\n${errors.join('\n')}`);
    assert.match(errors[0]!, /unknown key "(__proto__|constructor|toString)"/);
  }
});

test('impersonating a built-in privileged identity (any "system:" user or group) is kept, with a warning for each', () => {
  const source = projectEntry('access_as:', '  impersonate:', '    username: system:admin', '    groups: [deployers, system:masters, "System:Nodes"]');
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.config?.ci_access.projects[0]?.access_as, { kind: 'impersonate', username: 'system:admin', groups: ['deployers', 'system:masters', 'System:Nodes'], extra: [] });
  const messages = result.warnings.map((w) => w.message);
  assert.equal(messages.length, 3, JSON.stringify(messages));
  assert.match(messages[0]!, /^line 6, column \d+: ci_access\.projects\[0\]\.access_as\.impersonate\.username is "system:admin", a built-in Kubernetes identity .*every job this entry grants acts with its rights/);
  assert.match(messages[1]!, /impersonate\.groups\[1\] is "system:masters".*system:masters bypasses RBAC entirely/);
  assert.match(messages[2]!, /impersonate\.groups\[2\] is "System:Nodes"/);
  const plain = parseAgentConfig(projectEntry('access_as:', '  impersonate:', '    username: deployer', '    groups: [ops]'));
  assert.deepEqual(plain.warnings, []);
});

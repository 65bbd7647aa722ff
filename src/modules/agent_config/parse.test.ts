import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from './parse.js';
import type { ParseResult } from './types.js';
import { DOC001_ENVIRONMENTS, DOC001_PRECEDENCE, DOC001_PRECEDENCE_AS_PRINTED, DOC001_PROTECTED } from '../../../test/fixtures/agent_configs.js';

/** Asserts the file is valid and returns its configuration. */
function valid(source: string): NonNullable<ParseResult['config']> {
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, [], `expected no errors in:\n${source}`);
  assert.ok(result.config);
  return result.config;
}

const AGENT = { kind: 'agent' } as const;

// Every valid example configuration of the source documents, written out as printed.
const DOCUMENT_EXAMPLES: Array<{ name: string; source: string; check(config: NonNullable<ParseResult['config']>): void }> = [
  {
    name: '000/001 authorize a project',
    source: 'ci_access:\n  projects:\n    - id: path/to/project\n',
    check(config) {
      assert.deepEqual(config.ci_access.projects, [{ id: 'path/to/project', line: 3, access_as: AGENT, protected_branches_only: false }]);
      assert.deepEqual(config.ci_access.groups, []);
    },
  },
  {
    name: '000/001 authorize a group',
    source: 'ci_access:\n  groups:\n    - id: path/to/group/subgroup\n',
    check(config) {
      assert.deepEqual(config.ci_access.groups, [{ id: 'path/to/group/subgroup', line: 3, access_as: AGENT, protected_branches_only: false }]);
    },
  },
  {
    name: '000/001 impersonate the CI job',
    source: 'ci_access:\n  projects:\n    - id: path/to/project\n      access_as:\n        ci_job: {}\n',
    check(config) {
      assert.deepEqual(config.ci_access.projects[0]?.access_as, { kind: 'ci_job' });
    },
  },
  {
    name: '000/001 restrict to environments (indented as in the document)',
    source: DOC001_ENVIRONMENTS,
    check(config) {
      const [one, two] = config.ci_access.projects;
      assert.equal(one?.environments, undefined);
      assert.deepEqual(two?.environments, ['staging', 'review/*']);
      assert.equal(two?.line, 4);
      assert.deepEqual(config.ci_access.groups[0]?.environments, ['production']);
      assert.equal(config.ci_access.groups[0]?.line, 9);
    },
  },
  {
    name: '001 protected branches only',
    source: DOC001_PROTECTED,
    check(config) {
      assert.equal(config.ci_access.projects[0]?.protected_branches_only, true);
      assert.equal(config.ci_access.groups[0]?.protected_branches_only, true);
      assert.deepEqual(config.ci_access.groups[0]?.environments, ['production']);
    },
  },
  {
    name: '001 precedence example, with the typo fixed (projects)',
    source: DOC001_PRECEDENCE,
    check(config) {
      assert.equal(config.ci_access.projects[0]?.line, 4);
      assert.equal(config.ci_access.projects[0]?.protected_branches_only, false);
      assert.equal(config.ci_access.groups[0]?.id, 'example');
      assert.equal(config.ci_access.groups[0]?.protected_branches_only, true);
    },
  },
  {
    name: '002 the empty file created before registering',
    source: '',
    check(config) {
      assert.deepEqual(config, { ci_access: { projects: [], groups: [] }, flux: {} });
    },
  },
  {
    name: '004 flux receiver in another namespace',
    source: 'flux:\n  webhook_receiver_url: http://webhook-receiver.another-flux-namespace.svc.cluster.local\n',
    check(config) {
      assert.equal(config.flux.webhook_receiver_url, 'http://webhook-receiver.another-flux-namespace.svc.cluster.local');
    },
  },
  {
    name: '004 flux receiver through the service proxy',
    source: 'flux:\n  webhook_receiver_url: /api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy\n',
    check(config) {
      assert.equal(config.flux.webhook_receiver_url, '/api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy');
    },
  },
];

for (const example of DOCUMENT_EXAMPLES) {
  test(`document example parses: ${example.name}`, () => {
    const result = parseAgentConfig(example.source);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings, []);
    assert.ok(result.config);
    example.check(result.config);
  });
}

test("document 001's precedence example says `project:` (a typo): an error naming it and suggesting `projects`", () => {
  const source = DOC001_PRECEDENCE_AS_PRINTED;
  const result = parseAgentConfig(source);
  assert.equal(result.config, null);
  assert.equal(result.errors.length, 1);
  const [error] = result.errors;
  assert.equal(error?.line, 3);
  assert.equal(error?.column, 3);
  assert.equal(error?.path, 'ci_access.project');
  assert.match(error!.message, /^line 3, column 3: unknown key "project" in ci_access: did you mean "projects"\?/);
});

test('a missing, empty, blank or comments-only file is a valid empty configuration', () => {
  const empty = { ci_access: { projects: [], groups: [] }, flux: {} };
  for (const source of [null, undefined, '', '\n\n', '   \n', '# nothing yet\n', '# a\n\n# b\n', '---\n', Buffer.from(''), Buffer.from('# hi\n')]) {
    assert.deepEqual(parseAgentConfig(source), { config: empty, errors: [], warnings: [] }, String(source));
  }
});

test('empty sections are valid and grant nothing', () => {
  for (const source of ['ci_access:\n', 'ci_access: {}\n', 'ci_access:\n  projects:\n  groups: []\n', 'flux:\n', 'flux:\n  webhook_receiver_url: ""\n']) {
    const config = valid(source);
    assert.deepEqual(config.ci_access, { projects: [], groups: [] }, source);
    assert.deepEqual(config.flux, {}, source);
  }
});

test('a file larger than 128 KiB is an error that gives the size and the limit', () => {
  const padding = (n: number) => `# ${'x'.repeat(n - 3)}\n`;
  const atLimit = padding(128 * 1024);
  assert.equal(Buffer.byteLength(atLimit), 131072);
  assert.ok(parseAgentConfig(atLimit).config, 'exactly 128 KiB is fine');

  for (const source of [padding(128 * 1024 + 1), Buffer.from(padding(200 * 1024))]) {
    const result = parseAgentConfig(source);
    assert.equal(result.config, null);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!.message, /^the configuration file is (128\.1 KiB \(131073|200 KiB \(204800) bytes\)/);
    assert.match(result.errors[0]!.message, /limit is 128 KiB \(131072 bytes\)/);
  }
  // Counted in bytes, not characters: 50 000 three-byte characters are 150 000 bytes.
  assert.equal(parseAgentConfig(`# ${'日'.repeat(50_000)}\n`).config, null);
});

test('YAML syntax errors are errors with line and column', () => {
  const cases: Array<[source: string, line: number, column: number, expected: RegExp]> = [
    ['ci_access:\n  projects:\n    - id: a\n   bad indent: x\n', 4, 1, /YAML syntax error: All mapping items must start at the same column/],
    ['ci_access:\n  projects: [\n', 3, 1, /YAML syntax error: Flow sequence/],
    ['ci_access:\n  projects:\n    - id: "unterminated\n', 4, 1, /YAML syntax error: Missing closing "quote/],
    ['flux: {}\nci_access: {}\nci_access: {}\n', 3, 1, /the key "ci_access" appears twice in the same mapping/],
    ['ci_access:\n\tprojects: []\n', 2, 1, /tabs are not allowed as indentation; indent with spaces/],
    ['a: b: c\n', 1, 4, /YAML syntax error: Nested mappings/],
    ['a: 1\n---\nb: 2\n', 2, 1, /more than one YAML document/],
  ];
  for (const [source, line, column, expected] of cases) {
    const result = parseAgentConfig(source);
    assert.equal(result.config, null, source);
    const first = result.errors[0]!;
    assert.deepEqual([first.line, first.column], [line, column], `${source} → ${first.message}`);
    assert.ok(first.message.startsWith(`line ${line}, column ${column}: `), first.message);
    assert.match(first.message, expected);
  }
});

test('Windows line endings parse, with the same line numbers', () => {
  const config = valid('ci_access:\r\n  projects:\r\n    - id: a/b\r\n    - id: a/c\r\n');
  assert.deepEqual(config.ci_access.projects.map((p) => p.line), [3, 4]);
});

test('the top level must be a mapping', () => {
  for (const [source, found] of [
    ['- id: a\n', 'a list'],
    ['just text\n', 'the string "just text"'],
    ['42\n', 'the number 42'],
  ] as const) {
    const result = parseAgentConfig(source);
    assert.equal(result.config, null);
    assert.match(result.errors[0]!.message, new RegExp(`^line 1, column 1: the configuration file must be a mapping .*not ${found}\\.$`));
  }
});

test('invalid UTF-8 is an error; a byte order mark is not', () => {
  assert.match(parseAgentConfig(Buffer.from([0x63, 0x69, 0xff, 0x3a])).errors[0]!.message, /not valid UTF-8/);
  assert.equal(valid('\uFEFFci_access:\n  projects:\n    - id: a/b\n').ci_access.projects[0]?.id, 'a/b');
  const fromBuffer = parseAgentConfig(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ci_access:\n  groups:\n    - id: g\n')]));
  assert.equal(fromBuffer.config?.ci_access.groups[0]?.line, 3);
});

test('GitLab sections Kubegate does not use are warnings, never errors; gitops says it is deprecated and Flux is used', () => {
  const source = [
    'gitops:',
    '  manifest_projects:',
    '    - id: gitlab-org/cluster-integration/gitlab-agent',
    '      default_namespace: my-ns',
    '      paths:',
    '        - glob: /team1/app1/*.{yaml,yml,json}',
    'user_access:',
    '  access_as:',
    '    agent: {}',
    '  projects:',
    '    - id: group/project',
    'observability:',
    '  logging:',
    '    level: debug',
    'remote_development:',
    '  enabled: true',
    'container_scanning:',
    '  cadence: "0 0 * * *"',
    'starboard:',
    '  vulnerability_report: {}',
    'receptive:',
    '  enabled: true',
    'ci_access:',
    '  projects:',
    '    - id: group/project',
    '',
  ].join('\n');
  const result = parseAgentConfig(source);
  assert.deepEqual(result.errors, []);
  assert.equal(result.config?.ci_access.projects[0]?.id, 'group/project');
  const lines = result.warnings.map((w) => [w.line, w.path]);
  assert.deepEqual(lines, [
    [1, 'gitops'],
    [7, 'user_access'],
    [12, 'observability'],
    [15, 'remote_development'],
    [17, 'container_scanning'],
    [19, 'starboard'],
    [21, 'receptive'],
  ]);
  assert.match(result.warnings[0]!.message, /^line 1, column 1: the "gitops" section is deprecated in GitLab and is not used by Kubegate, which does GitOps with Flux/);
  for (const warning of result.warnings.slice(1)) assert.match(warning.message, /section is not used by Kubegate/);
});

test('even a broken gitops section is only a warning', () => {
  const result = parseAgentConfig('gitops: [1, 2, {x: y}]\n');
  assert.deepEqual(result.errors, []);
  assert.equal(result.warnings.length, 1);
});

test('unknown top-level keys are warnings naming the closest known section', () => {
  const cases: Array<[key: string, expected: RegExp]> = [
    ['ci_acess', /unknown top-level key "ci_acess" is ignored; did you mean "ci_access"\?/],
    ['ci-access', /did you mean "ci_access"\?/],
    ['CI_ACCESS', /did you mean "ci_access"\?/],
    ['fluxx', /did you mean "flux"\?/],
    ['gitop', /did you mean "gitops"\?/],
    ['something_else', /unknown top-level key "something_else" is ignored; the valid keys here are "ci_access", "flux", "gitops"/],
  ];
  for (const [key, expected] of cases) {
    const result = parseAgentConfig(`# comment\n${key}:\n  projects:\n    - id: a/b\n`);
    assert.deepEqual(result.errors, [], key);
    assert.deepEqual(result.config?.ci_access.projects, [], 'nothing is granted from a misspelled section');
    assert.equal(result.warnings.length, 1, key);
    assert.equal(result.warnings[0]!.line, 2);
    assert.match(result.warnings[0]!.message, expected);
  }
});

test('flux.webhook_receiver_url: http(s) URLs and service proxy paths; anything else is an error', () => {
  const good = [
    'http://webhook-receiver.flux-system.svc.cluster.local',
    'https://receiver.example.com:8443/base',
    'http://10.0.0.5',
    '/api/v1/namespaces/flux-system/services/webhook-receiver/proxy',
    '/api/v1/namespaces/flux-system/services/webhook-receiver:80/proxy',
    '/api/v1/namespaces/flux-system/services/https:webhook-receiver:https/proxy/',
  ];
  for (const url of good) assert.equal(valid(`flux:\n  webhook_receiver_url: ${url}\n`).flux.webhook_receiver_url, url);

  const bad: Array<[value: string, expected: RegExp]> = [
    ['ftp://receiver.example.com', /must use http or https/],
    ['webhook-receiver.flux-system', /neither an http\(s\) URL nor a service proxy path/],
    ['http://receiver.example.com/?a=b', /must not have a query/],
    ['/api/v1/namespaces/flux-system/services/webhook-receiver', /not a service proxy path/],
    ['/hooks/receiver', /not a service proxy path/],
    ['/api/v1/namespaces/Flux_System/services/webhook-receiver/proxy', /not a valid Kubernetes namespace name/],
    ['/api/v1/namespaces/flux-system/services/Web Hook/proxy', /as service/],
    ['8080', /must be a string/],
    ['[a, b]', /must be a string/],
  ];
  for (const [value, expected] of bad) {
    const result = parseAgentConfig(`flux:\n  webhook_receiver_url: ${value}\n`);
    assert.equal(result.config, null, value);
    assert.equal(result.errors.length, 1, value);
    assert.equal(result.errors[0]!.path, 'flux.webhook_receiver_url');
    assert.match(result.errors[0]!.message, /^line 2, column 25: flux\.webhook_receiver_url /);
    assert.match(result.errors[0]!.message, expected, value);
  }
});

test('outside ci_access, unknown keys are warnings (flux)', () => {
  const result = parseAgentConfig('flux:\n  webhook_reciever_url: http://x.example\n');
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.config?.flux, {});
  assert.match(result.warnings[0]!.message, /^line 2, column 3: unknown key "webhook_reciever_url" in flux is ignored; did you mean "webhook_receiver_url"\?/);
});

test('problems are listed top to bottom and each has a line, column and path', () => {
  const source = [
    'ci_access:',
    '  projects:',
    '    - id: a/b',
    '      protected_branches_only: "true"',
    '      enviroments: [x]',
    '  groups:',
    '    - id: 7',
    'gitops: {}',
    'zzz: 1',
    '',
  ].join('\n');
  const result = parseAgentConfig(source);
  assert.deepEqual(
    result.errors.map((e) => [e.line, e.column, e.path]),
    [
      [4, 32, 'ci_access.projects[0].protected_branches_only'],
      [5, 7, 'ci_access.projects[0].enviroments'],
      [7, 11, 'ci_access.groups[0].id'],
    ],
  );
  assert.deepEqual(result.warnings.map((w) => [w.line, w.column, w.path]), [
    [8, 1, 'gitops'],
    [9, 1, 'zzz'],
  ]);
  for (const e of result.errors) assert.ok(e.message.startsWith(`line ${e.line}, column ${e.column}: `));
});

test('anchors, aliases and merge keys work, and too many aliases are an error', () => {
  const config = valid(
    [
      'x-defaults: &defaults',
      '  protected_branches_only: true',
      '  environments: [production]',
      'ci_access:',
      '  projects:',
      '    - <<: *defaults',
      '      id: a/one',
      '    - <<: *defaults',
      '      id: a/two',
      '      protected_branches_only: false',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    config.ci_access.projects.map((p) => [p.id, p.line, p.protected_branches_only, p.environments]),
    [
      ['a/one', 6, true, ['production']],
      ['a/two', 8, false, ['production']],
    ],
  );
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
  const result = parseAgentConfig(bomb);
  assert.equal(result.config, null);
  assert.match(result.errors[0]!.message, /could not be read/);
});
